import type { Context } from 'koa';
import { z } from 'zod';
import { emailField, nameField } from '../../api/admin/admin-schemas.ts';
import { adminUserJson } from '../../api/admin/admin-user-json.ts';
import { AppError } from '../../errors/app-error.ts';
import { actorOf } from '../../http/actor.ts';
import { parseBody } from '../../http/validation.ts';
import { pageMessage } from '../../i18n/page-message.ts';
import type { AdminDeps } from '../admin-deps.ts';
import { consoleActor } from '../audit-actor.ts';
import { signedInOf } from '../console-sign-in.ts';
import { checkbox, listText } from '../form-fields.ts';
import { renderAdmin, withNotice } from '../render.ts';

const newUserForm = z.object({
  email: emailField,
  name: nameField.optional(),
  groups: listText,
  how: z.enum(['invite', 'password'], 'form.chooseHow'),
  password: z.string().max(1024).optional(),
  message: z.string().trim().max(2000).optional(),
  /** `--email-verified`: applications see email_verified: true (an invitee proves it by accepting). */
  emailVerified: checkbox,
  allowOtherEmail: checkbox,
});

/** GET /admin/users/new */
export function showNewUser(deps: AdminDeps) {
  return async (ctx: Context): Promise<void> => {
    renderAdmin(ctx, deps.views, 'users/new.njk', { form: { how: 'invite' } });
  };
}

/** POST /admin/users: invite by email (the default) or create with a password the admin chose. */
export function createUserFromForm(deps: AdminDeps) {
  return async (ctx: Context): Promise<void> => {
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    try {
      const input = parseBody(ctx, newUserForm);
      const actor = actorOf(ctx, signedInOf(ctx).user.id);
      if (input.how === 'invite') {
        const { user } = await deps.invitations.invite(
          {
            email: input.email,
            name: input.name,
            groups: input.groups,
            message: input.message || undefined,
            allowOtherEmail: input.allowOtherEmail,
          },
          actor,
        );
        await deps.adminAudit.record(consoleActor(ctx), {
          action: 'invitation.send',
          target: { type: 'user', id: user.id },
          after: adminUserJson(user),
        });
        return ctx.redirect(withNotice(`/admin/users/${user.id}`, 'invited'));
      }
      if (!input.password) throw AppError.keyed('invalid_input', 'admin.refused.passwordOrInvite');
      const user = await deps.userManager.createUser({
        email: input.email,
        name: input.name,
        groups: input.groups,
        password: input.password,
        status: 'active',
        emailVerified: input.emailVerified,
      });
      await deps.adminAudit.record(consoleActor(ctx), {
        action: 'user.create',
        target: { type: 'user', id: user.id },
        after: adminUserJson(user),
      });
      ctx.redirect(withNotice(`/admin/users/${user.id}`, 'created'));
    } catch (error) {
      if (!(error instanceof AppError) || error.status >= 500) throw error;
      renderAdmin(
        ctx,
        deps.views,
        'users/new.njk',
        { form: { ...body, password: '' }, error: pageMessage(deps.views.translator(), error) },
        error.status,
      );
    }
  };
}
