import type { Context } from 'koa';
import { clientJson } from '../../api/admin/admin-json.ts';
import { AppError } from '../../errors/app-error.ts';
import { parseBody } from '../../http/validation.ts';
import { pageMessage } from '../../i18n/page-message.ts';
import { isBuiltInClient } from '../../oidc/console-client.ts';
import type { AdminDeps } from '../admin-deps.ts';
import { consoleActor } from '../audit-actor.ts';
import { renderAdmin, when, withNotice } from '../render.ts';
import { applicationForm, FORM_CHOICES, formValues, toClientInput } from './application-form.ts';

const choices = FORM_CHOICES;

/** A posted form shown again: `grants` is always a list for the template's checkboxes. */
function asForm(body: Record<string, unknown>): Record<string, unknown> {
  const grants = body.grants;
  return { ...body, grants: Array.isArray(grants) ? grants : typeof grants === 'string' ? [grants] : [] };
}

/** GET /admin/applications */
export function showApplications(deps: AdminDeps) {
  return async (ctx: Context): Promise<void> => {
    const clients = (await deps.clients.list()).map(clientJson);
    renderAdmin(ctx, deps.views, 'applications/list.njk', { clients });
  };
}

/** GET /admin/applications/new */
export function showNewApplication(deps: AdminDeps) {
  return async (ctx: Context): Promise<void> => {
    renderAdmin(ctx, deps.views, 'applications/form.njk', { form: formValues(), isNew: true, ...choices });
  };
}

/** GET /admin/applications/:clientId */
export function showApplication(deps: AdminDeps) {
  return async (ctx: Context): Promise<void> => {
    const client = await deps.clients.require(String(ctx.params.clientId));
    renderApplication(ctx, deps, clientJson(client), formValues(client));
  };
}

function renderApplication(
  ctx: Context,
  deps: AdminDeps,
  client: ReturnType<typeof clientJson>,
  form: Record<string, unknown>,
  extra: { error?: string; secret?: string; status?: number } = {},
): void {
  renderAdmin(
    ctx,
    deps.views,
    'applications/form.njk',
    {
      client,
      form: asForm(form),
      builtIn: isBuiltInClient(client.clientId),
      updated: when(new Date(client.updatedAt)),
      ...choices,
      ...extra,
    },
    extra.status,
  );
}

/** POST /admin/applications: registers it; a generated secret is shown on the next page, once. */
export function createApplication(deps: AdminDeps) {
  return async (ctx: Context): Promise<void> => {
    const body = ctx.request.body as Record<string, unknown>;
    try {
      const form = parseBody(ctx, applicationForm);
      const { client, secret } = await deps.clients.create({
        ...toClientInput(form),
        clientId: form.clientId ?? '',
      });
      await deps.adminAudit.record(consoleActor(ctx), {
        action: 'client.create',
        target: { type: 'client', id: client.clientId },
        after: clientJson(client),
      });
      renderApplication(ctx, deps, clientJson(client), formValues(client), {
        ...(secret ? { secret } : {}),
        status: 201,
      });
    } catch (error) {
      if (!(error instanceof AppError) || error.status >= 500) throw error;
      renderAdmin(
        ctx,
        deps.views,
        'applications/form.njk',
        { form: asForm(body), isNew: true, error: pageMessage(deps.views.translator(), error), ...choices },
        error.status,
      );
    }
  };
}

/** POST /admin/applications/:clientId: saves the form; rotate and delete are their own actions. */
export function updateApplication(deps: AdminDeps) {
  return async (ctx: Context): Promise<void> => {
    const clientId = String(ctx.params.clientId);
    const before = clientJson(await deps.clients.require(clientId));
    const body = ctx.request.body as Record<string, unknown>;
    try {
      const action = typeof body.action === 'string' ? body.action : 'save';
      if (action === 'delete') return await deleteApplication(ctx, deps, before);
      const changes =
        action === 'rotate' ? { rotateSecret: true } : toClientInput(parseBody(ctx, applicationForm));
      const { client, secret } = await deps.clients.update(clientId, changes);
      const after = clientJson(client);
      await deps.adminAudit.record(consoleActor(ctx), {
        action: action === 'rotate' ? 'client.rotate-secret' : 'client.update',
        target: { type: 'client', id: clientId },
        before,
        after,
      });
      if (!secret) {
        ctx.status = 303;
        return ctx.redirect(withNotice(`/admin/applications/${encodeURIComponent(clientId)}`, 'saved'));
      }
      renderApplication(ctx, deps, after, formValues(client), { secret });
    } catch (error) {
      if (!(error instanceof AppError) || error.status >= 500 || error.code === 'not_found') throw error;
      renderApplication(
        ctx,
        deps,
        before,
        { ...body, clientId },
        { error: pageMessage(deps.views.translator(), error), status: error.status },
      );
    }
  };
}

async function deleteApplication(
  ctx: Context,
  deps: AdminDeps,
  before: ReturnType<typeof clientJson>,
): Promise<void> {
  await deps.clients.delete(before.clientId);
  await deps.adminAudit.record(consoleActor(ctx), {
    action: 'client.delete',
    target: { type: 'client', id: before.clientId },
    before,
  });
  ctx.status = 303;
  ctx.redirect(withNotice('/admin/applications', 'deleted'));
}
