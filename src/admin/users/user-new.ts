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

type NewUserForm = z.infer<typeof newUserForm>;

/** POST /admin/users: invite by email (the default) or create with a password the admin chose. */
export function createUserFromForm(deps: AdminDeps) {
  return async (ctx: Context): Promise<void> => {
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    try {
      const input = parseBody(ctx, newUserForm);
      const { user, action, notice } =
        input.how === 'invite' ? await inviteFromForm(ctx, deps, input) : await createFromForm(deps, input);
      await deps.adminAudit.record(consoleActor(ctx), {
        action,
        target: { type: 'user', id: user.id },
        after: adminUserJson(user),
      });
      ctx.redirect(withNotice(`/admin/users/${user.id}`, notice));
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

async function inviteFromForm(ctx: Context, deps: AdminDeps, input: NewUserForm) {
  const actor = actorOf(ctx, signedInOf(ctx).user.id);
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
  return { user, action: 'invitation.send', notice: 'invited' } as const;
}

async function createFromForm(deps: AdminDeps, input: NewUserForm) {
  if (!input.password) throw AppError.keyed('invalid_input', 'admin.refused.passwordOrInvite');
  const user = await deps.userManager.createUser({
    email: input.email,
    name: input.name,
    groups: input.groups,
    password: input.password,
    status: 'active',
    emailVerified: input.emailVerified,
  });
  return { user, action: 'user.create', notice: 'created' } as const;
}
