import type { Context } from 'koa';
import { z } from 'zod';
import { AppError } from '../../../errors/app-error.ts';
import type { AdminActionName } from '../../../notifications/admin-audit.ts';
import type { AdminApiDeps } from '../admin-api-deps.ts';
import { adminActor } from '../admin-auth.ts';
import { externalLoginJson, sessionJson } from '../admin-json.ts';
import { externalLoginResponse, passwordField, sessionResponse, userResponse } from '../admin-schemas.ts';
import { adminUserJson } from '../admin-user-json.ts';
import { type AdminRoute, route } from '../openapi/define.ts';
import { requireUser } from './user-routes.ts';

const TAG = 'User access';
const notFound = { description: 'No such user (or session, or link).' };
const withTwoFactor = userResponse.extend({ twoFactorProviders: z.array(z.string()) });

/** How a user gets in and stays in: password, invitation, lockout, second factor, links, sessions. */
export function userAccessRoutes(deps: AdminApiDeps): AdminRoute[] {
  const audit = (ctx: Context, action: AdminActionName, userId: string, after?: object) =>
    deps.adminAudit.record(adminActor(ctx), { action, target: { type: 'user', id: userId }, after });
  return [
    route({
      method: 'post',
      path: '/users/:id/unlock',
      tag: TAG,
      summary: 'Lift a lockout and clear the failure count',
      responses: { 200: { description: 'The user.', schema: userResponse }, 404: notFound },
      async handler(ctx, { params }) {
        const user = await requireUser(deps, params.id ?? '');
        await deps.userManager.unlockUser(user.id, adminActor(ctx));
        await audit(ctx, 'user.unlock', user.id);
        ctx.body = adminUserJson(await requireUser(deps, user.id));
      },
    }),
    route({
      method: 'post',
      path: '/users/:id/password',
      tag: TAG,
      summary: 'Set a password; every session of the user ends',
      body: z.strictObject({ password: passwordField }),
      responses: { 200: { description: 'The user.', schema: userResponse }, 404: notFound },
      async handler(ctx, { body, params }) {
        const user = await deps.userManager.resetPassword(params.id ?? '', body.password, adminActor(ctx));
        await audit(ctx, 'user.set-password', user.id);
        ctx.body = adminUserJson(user);
      },
    }),
    route({
      method: 'post',
      path: '/users/:id/password-reset',
      tag: TAG,
      summary: 'Email the user a password-reset link',
      responses: {
        202: { description: 'Sent.', schema: z.object({ sent: z.literal(true) }) },
        404: notFound,
        409: { description: 'The user is not active.' },
      },
      async handler(ctx, { params }) {
        const user = await requireUser(deps, params.id ?? '');
        if (user.status !== 'active')
          throw new AppError('conflict', 'Only an active user can reset a password.');
        await deps.passwordReset.requestAndWait(user.email, adminActor(ctx));
        await audit(ctx, 'user.send-password-reset', user.id);
        ctx.status = 202;
        ctx.body = { sent: true };
      },
    }),
    route({
      method: 'post',
      path: '/users/:id/invitation',
      tag: TAG,
      summary: 'Send the invitation again (the earlier link stops working)',
      responses: {
        200: { description: 'Sent.', schema: userResponse },
        404: notFound,
        409: { description: 'The user has already accepted.' },
      },
      async handler(ctx, { params }) {
        const user = await requireUser(deps, params.id ?? '');
        if (user.status !== 'invited') throw new AppError('conflict', 'This user has already accepted.');
        ctx.body = adminUserJson(
          (await deps.invitations.invite({ email: user.email }, adminActor(ctx))).user,
        );
        await audit(ctx, 'invitation.send', user.id);
      },
    }),
    route({
      method: 'delete',
      path: '/users/:id/two-factor',
      tag: TAG,
      summary: "Remove the user's second factors and recovery codes (a lost phone)",
      responses: { 200: { description: 'The user.', schema: withTwoFactor }, 404: notFound },
      async handler(ctx, { params }) {
        const user = await requireUser(deps, params.id ?? '');
        await deps.twoFactor.reset(user.id, adminActor(ctx));
        await audit(ctx, 'two-factor.reset', user.id);
        ctx.body = {
          ...adminUserJson(user),
          twoFactorProviders: await deps.twoFactor.enabledProviders(user),
        };
      },
    }),
    route({
      method: 'get',
      path: '/users/:id/external-logins',
      tag: TAG,
      summary: "The user's linked upstream logins, those of removed providers included (detached)",
      responses: {
        200: {
          description: 'The links.',
          schema: z.object({ externalLogins: z.array(externalLoginResponse) }),
        },
        404: notFound,
      },
      async handler(ctx, { params }) {
        const user = await requireUser(deps, params.id ?? '');
        const providers = new Map((await deps.external.registry.list()).map((p) => [p.alias, p]));
        const links = await deps.external.service.allLinksOf(user.id);
        ctx.body = { externalLogins: links.map((l) => externalLoginJson(l, providers)) };
      },
    }),
    route({
      method: 'delete',
      path: '/users/:id/external-logins/:providerAlias/:subject',
      tag: TAG,
      summary: 'Remove a linked login',
      responses: { 204: { description: 'Removed.' }, 404: notFound },
      async handler(ctx, { params }) {
        const user = await requireUser(deps, params.id ?? '');
        await deps.external.service.removeLink(
          user.id,
          params.providerAlias ?? '',
          params.subject ?? '',
          adminActor(ctx),
        );
        await audit(ctx, 'user.remove-external-login', user.id, { providerAlias: params.providerAlias });
        ctx.status = 204;
      },
    }),
    route({
      method: 'get',
      path: '/users/:id/sessions',
      tag: TAG,
      summary: "The user's active browser sessions: device, IP address, last seen",
      responses: {
        200: { description: 'The sessions.', schema: z.object({ sessions: z.array(sessionResponse) }) },
        404: notFound,
      },
      async handler(ctx, { params }) {
        const user = await requireUser(deps, params.id ?? '');
        ctx.body = { sessions: (await deps.sessions.listFor(user.id)).map(sessionJson) };
      },
    }),
    route({
      method: 'delete',
      path: '/users/:id/sessions',
      tag: TAG,
      summary: "End every session of the user and revoke their applications' tokens",
      responses: {
        200: { description: 'How many sessions ended.', schema: z.object({ ended: z.number().int() }) },
        404: notFound,
      },
      async handler(ctx, { params }) {
        const user = await requireUser(deps, params.id ?? '');
        const ended = await deps.sessions.endAllFor(user.id);
        await audit(ctx, 'user.end-sessions', user.id, { ended });
        ctx.body = { ended };
      },
    }),
    route({
      method: 'delete',
      path: '/users/:id/sessions/:uid',
      tag: TAG,
      summary: 'End one session of the user',
      responses: { 204: { description: 'Ended.' }, 404: notFound },
      async handler(ctx, { params }) {
        const user = await requireUser(deps, params.id ?? '');
        if (!(await deps.sessions.endByUid(user.id, params.uid ?? ''))) {
          throw new AppError('not_found', 'No such session of this user.');
        }
        await audit(ctx, 'user.end-session', user.id);
        ctx.status = 204;
      },
    }),
  ];
}
