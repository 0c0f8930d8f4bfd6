import type { Context } from 'koa';
import { z } from 'zod';
import { emailField, nameField } from '../../api/admin/admin-schemas.ts';
import { adminUserJson } from '../../api/admin/admin-user-json.ts';
import { AppError } from '../../errors/app-error.ts';
import { actorOf } from '../../http/actor.ts';
import { parseBody } from '../../http/validation.ts';
import { pageMessage } from '../../i18n/page-message.ts';
import { ADMIN_GROUP } from '../../users/user.ts';
import type { AdminDeps } from '../admin-deps.ts';
import { consoleActor } from '../audit-actor.ts';
import { signedInOf } from '../console-sign-in.ts';
import { checkbox, listText } from '../form-fields.ts';
import { type NoticeKey, withNotice } from '../render.ts';
import { renderUser, requireUser } from './user-detail.ts';

type Action = (ctx: Context, deps: AdminDeps, id: string) => Promise<NoticeKey>;

const actorFor = (ctx: Context) => actorOf(ctx, signedInOf(ctx).user.id);

/** An administrator cannot lock themselves out: it would end the very session they are using. */
function refuseSelf(ctx: Context, id: string): void {
  if (signedInOf(ctx).user.id === id) {
    throw AppError.keyed('conflict', 'admin.refused.self');
  }
}

/** The profile form; the switches are sent as shown (a checkbox left unticked turns it off). */
const editForm = z.object({
  email: emailField,
  name: nameField,
  groups: listText,
  emailVerified: checkbox,
  localPasswordAllowed: checkbox,
});

/** The actions of the user page, each a POST to /admin/users/:id/<name> that returns to the page. */
export const USER_ACTIONS: Record<string, Action> = {
  async edit(ctx, deps, id) {
    const input = parseBody(ctx, editForm);
    if (!input.groups.includes(ADMIN_GROUP) && (await requireUser(deps, id)).groups.includes(ADMIN_GROUP)) {
      refuseSelf(ctx, id);
    }
    await deps.userManager.updateUser(id, input);
    return 'saved';
  },
  async disable(ctx, deps, id) {
    refuseSelf(ctx, id);
    await deps.userManager.updateUser(id, { status: 'disabled' });
    return 'disabled';
  },
  async enable(_ctx, deps, id) {
    await deps.userManager.updateUser(id, { status: 'active' });
    return 'enabled';
  },
  async unlock(ctx, deps, id) {
    await deps.userManager.unlockUser(id, actorFor(ctx));
    return 'unlocked';
  },
  async 'send-reset'(ctx, deps, id) {
    const user = await requireUser(deps, id);
    if (user.status !== 'active') throw AppError.keyed('conflict', 'admin.refused.resetNotActive');
    await deps.passwordReset.requestAndWait(user.email, actorFor(ctx));
    return 'reset-sent';
  },
  async 'resend-invite'(ctx, deps, id) {
    const user = await requireUser(deps, id);
    if (user.status !== 'invited') throw AppError.keyed('conflict', 'admin.refused.alreadyAccepted');
    await deps.invitations.invite({ email: user.email }, actorFor(ctx));
    return 'invited';
  },
  async 'reset-two-factor'(ctx, deps, id) {
    await deps.twoFactor.reset(id, actorFor(ctx));
    return 'two-factor-reset';
  },
  async unlink(ctx, deps, id) {
    const { provider, subject } = parseBody(
      ctx,
      z.object({ provider: z.string().max(64), subject: z.string().max(255) }),
    );
    await deps.external.service.removeLink(id, provider, subject, actorFor(ctx));
    return 'login-removed';
  },
  async 'end-session'(ctx, deps, id) {
    const { session } = parseBody(ctx, z.object({ session: z.string().max(64) }));
    if (!(await deps.sessions.endByUid(id, session, { reason: 'admin', actor: actorFor(ctx) })))
      throw AppError.keyed('not_found', 'admin.refused.sessionEnded');
    return 'session-ended';
  },
  async 'end-sessions'(ctx, deps, id) {
    refuseSelf(ctx, id);
    await deps.sessions.endAllFor(id, { reason: 'admin', actor: actorFor(ctx) });
    return 'sessions-ended';
  },
};

/** POST /admin/users/:id/:action; a refusal shows the user page again with the reason. */
export function userAction(deps: AdminDeps) {
  return async (ctx: Context): Promise<void> => {
    const id = String(ctx.params.id);
    const action = Object.hasOwn(USER_ACTIONS, String(ctx.params.action))
      ? USER_ACTIONS[String(ctx.params.action)]
      : undefined;
    if (!action) throw AppError.keyed('not_found', 'admin.refused.noSuchAction');
    const user = await requireUser(deps, id);
    try {
      const notice = await action(ctx, deps, id);
      await deps.adminAudit.record(consoleActor(ctx), {
        action: `user.${String(ctx.params.action)}`,
        target: { type: 'user', id },
        before: adminUserJson(user),
        after: adminUserJson(await requireUser(deps, id)),
      });
      ctx.status = 303;
      ctx.redirect(withNotice(`/admin/users/${id}`, notice));
    } catch (error) {
      if (!(error instanceof AppError) || error.status >= 500 || error.code === 'not_found') throw error;
      const form = ctx.params.action === 'edit' ? (ctx.request.body as Record<string, unknown>) : undefined;
      await renderUser(ctx, deps, user, {
        error: pageMessage(deps.views.translator(), error),
        status: error.status,
        ...(form ? { form } : {}),
      });
    }
  };
}

/** POST /admin/users/:id/delete */
export function deleteUserFromPage(deps: AdminDeps) {
  return async (ctx: Context): Promise<void> => {
    const id = String(ctx.params.id);
    refuseSelf(ctx, id);
    const before = await requireUser(deps, id);
    await deps.userManager.deleteUser(id);
    await deps.adminAudit.record(consoleActor(ctx), {
      action: 'user.delete',
      target: { type: 'user', id },
      before: adminUserJson(before),
    });
    ctx.status = 303;
    ctx.redirect(withNotice('/admin/users', 'deleted'));
  };
}
