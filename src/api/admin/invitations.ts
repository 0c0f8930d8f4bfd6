import type { Context } from 'koa';
import { z } from 'zod';
import { parseBody } from '../../http/validation.ts';
import type { AdminApiDeps } from './admin-api-deps.ts';
import { adminActor } from './admin-auth.ts';
import { emailField, groupsField, nameField } from './admin-schemas.ts';
import { adminUserJson } from './admin-user-json.ts';

const inviteBody = z.strictObject({
  email: emailField,
  name: nameField.optional(),
  groups: groupsField.optional(),
  message: z
    .string('The message must be text.')
    .trim()
    .max(2000, 'The message is too long (2000 at most).')
    .optional(),
});

/**
 * POST /users/invite: creates the invited account (or re-invites it, voiding the earlier link) and
 * sends the invitation. The link itself is not returned: it belongs to the invitee alone.
 */
export function inviteUser(deps: AdminApiDeps) {
  return async (ctx: Context): Promise<void> => {
    const input = parseBody(ctx, inviteBody);
    const { user } = await deps.invitations.invite(input, adminActor(ctx));
    await deps.adminAudit.record(adminActor(ctx), {
      action: 'invitation.send',
      target: { type: 'user', id: user.id },
      after: adminUserJson(user),
    });
    ctx.status = 201;
    ctx.body = adminUserJson(user);
  };
}
