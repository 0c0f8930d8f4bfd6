import type { Context } from 'koa';
import { z } from 'zod';
import { providerJson } from '../../api/admin/admin-json.ts';
import { adminUserJson } from '../../api/admin/admin-user-json.ts';
import { AppError } from '../../errors/app-error.ts';
import { type CredentialsReport, checkCredentials } from '../../external-logins/credentials-check.ts';
import { checkDiscovery, type DiscoveryReport } from '../../external-logins/discovery-check.ts';
import type { ExternalProvider, ExternalProviderInput } from '../../external-logins/external-provider.ts';
import type { SignInPreview } from '../../external-logins/sign-in-preview.ts';
import { parseBody } from '../../http/validation.ts';
import { pageMessage } from '../../i18n/page-message.ts';
import { translated } from '../../i18n/wording.ts';
import type { AdminDeps } from '../admin-deps.ts';
import { consoleActor } from '../audit-actor.ts';
import { checkbox } from '../form-fields.ts';
import { renderAdmin, withNotice } from '../render.ts';
import {
  PROVIDER_CHOICES,
  postedValues,
  providerForm,
  providerFormValues,
  toProviderInput,
} from './provider-form.ts';

/** GET /admin/providers */
export function showProviders(deps: AdminDeps) {
  return async (ctx: Context): Promise<void> => {
    const providers = (await deps.external.registry.list()).map((p) => providerJson(p, deps.settings.issuer));
    renderAdmin(ctx, deps.views, 'providers/list.njk', { providers });
  };
}

/** GET /admin/providers/new */
export function showNewProvider(deps: AdminDeps) {
  return async (ctx: Context): Promise<void> => {
    renderAdmin(ctx, deps.views, 'providers/form.njk', {
      isNew: true,
      form: providerFormValues(),
      ...PROVIDER_CHOICES,
    });
  };
}

interface ProviderPage {
  form?: Record<string, unknown>;
  error?: string;
  report?: DiscoveryReport;
  credentials?: CredentialsReport;
  preview?: SignInPreview;
  dryRun?: Record<string, unknown>;
  status?: number;
}

function renderProvider(
  ctx: Context,
  deps: AdminDeps,
  provider: ExternalProvider,
  page: ProviderPage = {},
): void {
  const view = providerJson(provider, deps.settings.issuer);
  const { preview, report, credentials } = page;
  const t = deps.views.translator();
  renderAdmin(
    ctx,
    deps.views,
    'providers/form.njk',
    {
      provider: view,
      readOnly: provider.source === 'code',
      ...PROVIDER_CHOICES,
      form: page.form ?? providerFormValues(provider),
      error: page.error,
      // What the checks found, in the administrator's language.
      report: report && { ...report, error: report.problem && translated(t, report.problem) },
      credentials: credentials && { ...credentials, message: translated(t, credentials) },
      dryRun: page.dryRun ?? {},
      preview: preview && {
        ...preview,
        reason: translated(t, preview.reason),
        user:
          preview.outcome === 'sign_in' || preview.outcome === 'link'
            ? adminUserJson(preview.user)
            : undefined,
      },
    },
    page.status,
  );
}

/** GET /admin/providers/:alias: the settings, the URIs to copy, the test and the dry run. */
export function showProvider(deps: AdminDeps) {
  return async (ctx: Context): Promise<void> => {
    renderProvider(ctx, deps, await deps.external.registry.require(String(ctx.params.alias)));
  };
}

/** POST /admin/providers */
export function createProvider(deps: AdminDeps) {
  return async (ctx: Context): Promise<void> => {
    const body = ctx.request.body as Record<string, unknown>;
    try {
      const form = parseBody(ctx, providerForm);
      const created = await deps.external.registry.create({
        ...toProviderInput(form, 'create'),
        alias: form.alias ?? '',
      } as ExternalProviderInput);
      await deps.adminAudit.record(consoleActor(ctx), {
        action: 'provider.create',
        target: { type: 'provider', id: created.alias },
        after: providerJson(created, deps.settings.issuer),
      });
      ctx.status = 303;
      ctx.redirect(withNotice(`/admin/providers/${created.alias}`, 'created'));
    } catch (error) {
      if (!(error instanceof AppError) || error.status >= 500) throw error;
      renderAdmin(
        ctx,
        deps.views,
        'providers/form.njk',
        {
          isNew: true,
          form: postedValues(body),
          error: pageMessage(deps.views.translator(), error),
          ...PROVIDER_CHOICES,
        },
        error.status,
      );
    }
  };
}

/** POST /admin/providers/:alias: save or delete. */
export function updateProvider(deps: AdminDeps) {
  return async (ctx: Context): Promise<void> => {
    const registry = deps.external.registry;
    const current = await registry.require(String(ctx.params.alias));
    const before = providerJson(current, deps.settings.issuer);
    const body = ctx.request.body as Record<string, unknown>;
    try {
      if (body.action === 'delete') {
        await registry.delete(current.alias);
        await deps.adminAudit.record(consoleActor(ctx), {
          action: 'provider.delete',
          target: { type: 'provider', id: current.alias },
          before,
        });
        ctx.status = 303;
        return ctx.redirect(withNotice('/admin/providers', 'deleted'));
      }
      const changes = toProviderInput(parseBody(ctx, providerForm), 'update');
      const updated = await registry.update(current.alias, changes);
      await deps.adminAudit.record(consoleActor(ctx), {
        action: 'provider.update',
        target: { type: 'provider', id: current.alias },
        before,
        after: providerJson(updated, deps.settings.issuer),
      });
      ctx.status = 303;
      ctx.redirect(withNotice(`/admin/providers/${current.alias}`, 'saved'));
    } catch (error) {
      if (!(error instanceof AppError) || error.status >= 500) throw error;
      renderProvider(ctx, deps, current, {
        form: postedValues(body),
        error: pageMessage(deps.views.translator(), error),
        status: error.status,
      });
    }
  };
}

/**
 * POST /admin/providers/:alias/test: fetches discovery and tries Gatehouse's client credentials at
 * the token endpoint, and shows what it found (an invalid_client says "credentials problem").
 */
export function testProvider(deps: AdminDeps) {
  return async (ctx: Context): Promise<void> => {
    const provider = await deps.external.registry.require(String(ctx.params.alias));
    const redirectUri = `${deps.settings.issuer}/external/${provider.alias}/callback`;
    const [report, credentials] = await Promise.all([
      checkDiscovery(provider),
      checkCredentials(provider, deps.external.configurations, redirectUri),
    ]);
    renderProvider(ctx, deps, provider, { report, credentials });
  };
}

const dryRunForm = z.object({
  sub: z.string().trim().min(1, 'form.enterSub').max(255),
  email: z.string().trim().max(320).optional(),
  emailVerified: checkbox,
  name: z.string().trim().max(255).optional(),
  claims: z.string().max(8000).optional(),
});

/** Other ID token claims as JSON; email, email_verified and name among them count as given. */
function parseClaims(text: string | undefined): Record<string, unknown> {
  if (!text?.trim()) return {};
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw AppError.keyed('invalid_input', 'admin.dryRun.claimsNotObject');
}

/** POST /admin/providers/:alias/dry-run: where this identity's sign-in would land; writes nothing. */
export function dryRunProvider(deps: AdminDeps) {
  return async (ctx: Context): Promise<void> => {
    const provider = await deps.external.registry.require(String(ctx.params.alias));
    const body = ctx.request.body as Record<string, unknown>;
    try {
      const input = parseBody(ctx, dryRunForm);
      const claims = parseClaims(input.claims);
      const preview = await deps.external.service.preview(provider, {
        sub: input.sub,
        email: input.email || (typeof claims.email === 'string' ? claims.email : undefined),
        emailVerified: input.emailVerified || claims.email_verified === true,
        name: input.name || (typeof claims.name === 'string' ? claims.name : undefined),
      });
      renderProvider(ctx, deps, provider, { preview, dryRun: body });
    } catch (error) {
      if (!(error instanceof AppError) || error.status >= 500) throw error;
      renderProvider(ctx, deps, provider, {
        dryRun: body,
        error: pageMessage(deps.views.translator(), error),
        status: error.status,
      });
    }
  };
}
