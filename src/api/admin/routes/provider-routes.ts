import type { Context } from 'koa';
import { z } from 'zod';
import { checkDiscovery } from '../../../external-logins/discovery-check.ts';
import { providerInputSchema } from '../../../external-logins/external-provider.ts';
import { patchToChanges, providerPatchSchema } from '../../../external-logins/provider-schema.ts';
import type { AdminActionName } from '../../../notifications/admin-audit.ts';
import type { AdminApiDeps } from '../admin-api-deps.ts';
import { adminActor } from '../admin-auth.ts';
import { providerJson } from '../admin-json.ts';
import { providerResponse, userResponse } from '../admin-schemas.ts';
import { adminUserJson } from '../admin-user-json.ts';
import { type AdminRoute, route } from '../openapi/define.ts';

const TAG = 'Upstream providers';
const notFound = { description: 'No such provider.' };

/** PATCH: every field optional and without defaults, so what is not sent stays as stored. */
const updateBody = providerPatchSchema.refine(
  (b) => Object.values(b).some((v) => v !== undefined),
  'Nothing to change.',
);

const discoveryResponse = z.object({
  ok: z.boolean(),
  discoveryUrl: z.string(),
  error: z.string().optional(),
  issuer: z.string().optional(),
  issuerMatches: z.boolean().optional(),
  authorizationEndpoint: z.string().optional(),
  tokenEndpoint: z.string().optional(),
  userinfoEndpoint: z.string().optional(),
  jwksUri: z.string().optional(),
  endSessionEndpoint: z.string().optional(),
  backchannelLogoutSupported: z.boolean(),
  frontchannelLogoutSupported: z.boolean(),
  idTokenSigningAlgs: z.array(z.string()),
  tokenEndpointAuthMethods: z.array(z.string()),
  codeChallengeMethods: z.array(z.string()),
  scopesSupported: z.array(z.string()),
  authMethodSupported: z.boolean(),
  tokenEndpointAuthMethod: z.string().optional(),
});

export const dryRunBody = z.strictObject({
  sub: z.string('Give the upstream subject (sub).').min(1, 'Give the upstream subject (sub).').max(255),
  email: z.string().trim().max(320).optional(),
  emailVerified: z.boolean().default(false),
  name: z.string().trim().max(255).optional(),
  claims: z.record(z.string(), z.unknown()).default({}).describe('Other claims of the ID token.'),
});

const dryRunResponse = z.object({
  outcome: z.enum(['sign_in', 'link', 'create', 'refuse']),
  reason: z.string(),
  refusal: z.string().optional(),
  user: userResponse.optional().describe('The account it lands on (sign_in, link).'),
  create: z.object({ email: z.string(), name: z.string(), groups: z.array(z.string()) }).optional(),
});

export function providerRoutes(deps: AdminApiDeps): AdminRoute[] {
  const issuer = deps.settings.issuer;
  const registry = deps.external.registry;
  const audit = (ctx: Context, action: AdminActionName, alias: string, before?: object, after?: object) =>
    deps.adminAudit.record(adminActor(ctx), {
      action,
      target: { type: 'provider', id: alias },
      before,
      after,
    });
  return [
    route({
      method: 'get',
      path: '/providers',
      tag: TAG,
      summary: 'Every upstream sign-in provider, with the URIs to register at each',
      responses: {
        200: { description: 'The providers.', schema: z.object({ providers: z.array(providerResponse) }) },
      },
      async handler(ctx) {
        ctx.body = { providers: (await registry.list()).map((p) => providerJson(p, issuer)) };
      },
    }),
    route({
      method: 'post',
      path: '/providers',
      tag: TAG,
      summary: 'Add an upstream provider (the options of `gatehouse provider create`)',
      body: providerInputSchema,
      responses: {
        201: { description: 'Added.', schema: providerResponse },
        409: { description: 'The alias is taken.' },
      },
      async handler(ctx, { body }) {
        const created = providerJson(await registry.create(body), issuer);
        await audit(ctx, 'provider.create', created.alias, undefined, created);
        ctx.status = 201;
        ctx.body = created;
      },
    }),
    route({
      method: 'get',
      path: '/providers/:alias',
      tag: TAG,
      summary: 'One provider',
      responses: { 200: { description: 'The provider.', schema: providerResponse }, 404: notFound },
      async handler(ctx, { params }) {
        ctx.body = providerJson(await registry.require(params.alias ?? ''), issuer);
      },
    }),
    route({
      method: 'patch',
      path: '/providers/:alias',
      tag: TAG,
      summary: 'Change a provider; what is not sent stays as it is',
      body: updateBody,
      responses: {
        200: { description: 'The provider.', schema: providerResponse },
        403: { description: 'Declared in code; read-only here.' },
        404: notFound,
      },
      async handler(ctx, { body, params }) {
        const before = providerJson(await registry.require(params.alias ?? ''), issuer);
        const after = providerJson(await registry.update(params.alias ?? '', patchToChanges(body)), issuer);
        await audit(ctx, 'provider.update', after.alias, before, after);
        ctx.body = after;
      },
    }),
    route({
      method: 'delete',
      path: '/providers/:alias',
      tag: TAG,
      summary: "Remove a provider; its users' links are kept, detached",
      responses: {
        204: { description: 'Removed.' },
        403: { description: 'Declared in code.' },
        404: notFound,
      },
      async handler(ctx, { params }) {
        const before = providerJson(await registry.require(params.alias ?? ''), issuer);
        await registry.delete(params.alias ?? '');
        await audit(ctx, 'provider.delete', before.alias, before);
        ctx.status = 204;
      },
    }),
    route({
      method: 'post',
      path: '/providers/:alias/test',
      tag: TAG,
      summary: "Fetch the upstream's discovery document and report what it offers",
      responses: {
        200: { description: 'The report (ok false says why).', schema: discoveryResponse },
        404: notFound,
      },
      async handler(ctx, { params }) {
        // The API says what is wrong in English (`error`); the catalogue key is the console's.
        const { problem: _keyed, ...report } = await checkDiscovery(
          await registry.require(params.alias ?? ''),
        );
        ctx.body = report;
      },
    }),
    route({
      method: 'post',
      path: '/providers/:alias/dry-run',
      tag: TAG,
      summary: 'Auto-link dry run: where a sign-in with this upstream identity would land; writes nothing',
      body: dryRunBody,
      responses: { 200: { description: 'The outcome and why.', schema: dryRunResponse }, 404: notFound },
      async handler(ctx, { body, params }) {
        const provider = await registry.require(params.alias ?? '');
        const preview = await deps.external.service.preview(provider, body);
        ctx.body = {
          outcome: preview.outcome,
          reason: preview.reason.message,
          ...(preview.outcome === 'refuse' ? { refusal: preview.refusal } : {}),
          ...(preview.outcome === 'sign_in' || preview.outcome === 'link'
            ? { user: adminUserJson(preview.user) }
            : {}),
          ...(preview.outcome === 'create'
            ? { create: { email: preview.email, name: preview.name, groups: preview.groups } }
            : {}),
        };
      },
    }),
  ];
}
