import type { Context } from 'koa';
import { z } from 'zod';
import type { AdminActionName } from '../../../notifications/admin-audit.ts';
import { ACCESS_TOKEN_FORMATS } from '../../../oidc/access-tokens.ts';
import { AUTH_METHODS, GRANT_TYPES } from '../../../oidc/client-service.ts';
import { PKCE_POLICIES, SIGNING_ALGS } from '../../../oidc/client-settings.ts';
import type { AdminApiDeps } from '../admin-api-deps.ts';
import { adminActor } from '../admin-auth.ts';
import { clientJson } from '../admin-json.ts';
import { clientResponse, clientWithSecretResponse } from '../admin-schemas.ts';
import { type AdminRoute, route } from '../openapi/define.ts';

const TAG = 'Applications';
const notFound = { description: 'No such client.' };
const uri = z.string('A URI must be text.').max(2000, 'A URI is too long.');
const uris = z.array(uri, 'Send a list of URIs.').max(50, 'At most 50 URIs.');

/** The fields of `gatehouse client create`, by the names ClientService and the CLI's --json use. */
const fields = {
  name: z.string('The name must be text.').trim().max(255).optional(),
  secret: z.string().min(16, 'A secret needs at least 16 characters.').max(512).optional(),
  public: z.boolean('public must be true or false.'),
  authMethod: z.enum(AUTH_METHODS, `authMethod must be one of ${AUTH_METHODS.join(', ')}.`).optional(),
  redirectUris: uris,
  postLogoutRedirectUris: uris,
  backchannelLogoutUri: uri.optional().describe('Empty to remove it.'),
  grants: z
    .array(z.enum(GRANT_TYPES, `A grant must be one of ${GRANT_TYPES.join(', ')}.`))
    .min(1, 'Give at least one grant.'),
  scopes: z.array(z.string().max(255)).max(100).describe('Empty: every scope Gatehouse offers.'),
  skipConsent: z.boolean('skipConsent must be true or false.'),
  allowedGroups: z
    .array(z.string().trim().min(1).max(64), 'Send a list of group names.')
    .max(50, 'At most 50 groups.')
    .describe('Only members of one of these groups may use the application; empty: everyone.'),
  ...protocolFields(),
};

/** The protocol settings (`gatehouse client create --pkce …`, `--jwks …`); `null` removes one on update. */
function protocolFields() {
  const removable = <T extends z.ZodType>(schema: T) => schema.nullable().optional();
  const alg = z.enum(SIGNING_ALGS, `The algorithm must be one of ${SIGNING_ALGS.join(', ')}.`);
  return {
    frontchannelLogoutUri: removable(uri).describe('OIDC Front-Channel Logout 1.0 page of the application.'),
    pkce: z
      .enum(PKCE_POLICIES, 'pkce must be required or optional.')
      .optional()
      .describe('optional: a confidential client may use the code grant without PKCE.'),
    jwks: removable(
      z.strictObject({
        keys: z.array(z.record(z.string(), z.unknown()), 'keys must be a list of JWKs.').max(20),
      }),
    ).describe('The public keys of a private_key_jwt client.'),
    jwksUri: removable(uri).describe('Where Gatehouse fetches the keys of a private_key_jwt client.'),
    idTokenSigningAlg: alg.optional().describe('ID token signature (default ES256).'),
    userinfoSigningAlg: removable(alg).describe('Unset: userinfo answers plain JSON.'),
    accessTokenFormat: z
      .enum(ACCESS_TOKEN_FORMATS, `accessTokenFormat must be one of ${ACCESS_TOKEN_FORMATS.join(', ')}.`)
      .optional()
      .describe(
        'jwt: RFC 9068 access tokens (aud is the client id) an API verifies with the JWKS alone; they stay valid until they expire (5 minutes) after revocation or sign-out, and userinfo does not take them. Default opaque.',
      ),
  };
}

const createBody = z.strictObject({
  clientId: z.string('Give a clientId.').min(1, 'Give a clientId.').max(255),
  ...fields,
  public: fields.public.default(false),
  redirectUris: fields.redirectUris.default([]),
  postLogoutRedirectUris: fields.postLogoutRedirectUris.default([]),
  grants: fields.grants.default(['authorization_code']),
  scopes: fields.scopes.default([]),
  skipConsent: fields.skipConsent.default(false),
  allowedGroups: fields.allowedGroups.default([]),
});

const updateBody = z
  .strictObject({
    name: fields.name,
    secret: fields.secret,
    public: fields.public.optional(),
    authMethod: fields.authMethod,
    redirectUris: fields.redirectUris.optional(),
    postLogoutRedirectUris: fields.postLogoutRedirectUris.optional(),
    backchannelLogoutUri: fields.backchannelLogoutUri,
    grants: fields.grants.optional(),
    scopes: fields.scopes.optional(),
    skipConsent: fields.skipConsent.optional(),
    allowedGroups: fields.allowedGroups.optional(),
    frontchannelLogoutUri: fields.frontchannelLogoutUri,
    pkce: fields.pkce,
    jwks: fields.jwks,
    jwksUri: fields.jwksUri,
    idTokenSigningAlg: fields.idTokenSigningAlg,
    userinfoSigningAlg: fields.userinfoSigningAlg,
    accessTokenFormat: fields.accessTokenFormat,
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), 'Nothing to change.');

/**
 * The API spells the algorithms as the CLI's flags and every client answer do (`idTokenSigningAlg`);
 * ClientService names them after the metadata they set.
 */
function toSettings<B extends { idTokenSigningAlg?: unknown; userinfoSigningAlg?: unknown }>(body: B) {
  const { idTokenSigningAlg, userinfoSigningAlg, ...rest } = body;
  return {
    ...rest,
    idTokenSignedResponseAlg: idTokenSigningAlg as B['idTokenSigningAlg'],
    userinfoSignedResponseAlg: userinfoSigningAlg as B['userinfoSigningAlg'],
  };
}

export function clientRoutes(deps: AdminApiDeps): AdminRoute[] {
  const audit = (ctx: Context, action: AdminActionName, id: string, before?: object, after?: object) =>
    deps.adminAudit.record(adminActor(ctx), { action, target: { type: 'client', id }, before, after });
  return [
    route({
      method: 'get',
      path: '/clients',
      tag: TAG,
      summary: 'Every registered application',
      responses: {
        200: { description: 'The clients.', schema: z.object({ clients: z.array(clientResponse) }) },
      },
      async handler(ctx) {
        ctx.body = { clients: (await deps.clients.list()).map(clientJson) };
      },
    }),
    route({
      method: 'post',
      path: '/clients',
      tag: TAG,
      summary: 'Register an application; a generated secret is in the answer, once',
      body: createBody,
      responses: {
        201: { description: 'Registered.', schema: clientWithSecretResponse },
        409: { description: 'The client id is taken.' },
      },
      async handler(ctx, { body }) {
        const { client, secret } = await deps.clients.create(toSettings(body));
        await audit(ctx, 'client.create', client.clientId, undefined, clientJson(client));
        ctx.status = 201;
        ctx.body = { ...clientJson(client), ...(secret ? { secret } : {}) };
      },
    }),
    route({
      method: 'get',
      path: '/clients/:clientId',
      tag: TAG,
      summary: 'One application',
      responses: { 200: { description: 'The client.', schema: clientResponse }, 404: notFound },
      async handler(ctx, { params }) {
        ctx.body = clientJson(await deps.clients.require(params.clientId ?? ''));
      },
    }),
    route({
      method: 'patch',
      path: '/clients/:clientId',
      tag: TAG,
      summary: 'Change an application (becoming confidential generates a secret, shown once)',
      body: updateBody,
      responses: {
        200: { description: 'The client.', schema: clientWithSecretResponse },
        404: notFound,
        409: { description: 'The built-in console client cannot be changed.' },
      },
      async handler(ctx, { body, params }) {
        const before = clientJson(await deps.clients.require(params.clientId ?? ''));
        const { client, secret } = await deps.clients.update(params.clientId ?? '', toSettings(body));
        await audit(ctx, 'client.update', client.clientId, before, clientJson(client));
        ctx.body = { ...clientJson(client), ...(secret ? { secret } : {}) };
      },
    }),
    route({
      method: 'post',
      path: '/clients/:clientId/secret',
      tag: TAG,
      summary: 'Rotate the secret; the new one is in the answer, once',
      responses: {
        200: { description: 'The client and its new secret.', schema: clientWithSecretResponse },
        400: { description: 'A public client has no secret.' },
        404: notFound,
        409: { description: 'The built-in console client cannot be changed.' },
      },
      async handler(ctx, { params }) {
        const { client, secret } = await deps.clients.update(params.clientId ?? '', { rotateSecret: true });
        await audit(ctx, 'client.rotate-secret', client.clientId);
        ctx.body = { ...clientJson(client), ...(secret ? { secret } : {}) };
      },
    }),
    route({
      method: 'delete',
      path: '/clients/:clientId',
      tag: TAG,
      summary: 'Delete an application and everything issued to it',
      responses: {
        204: { description: 'Deleted.' },
        404: notFound,
        409: { description: 'The built-in console client cannot be deleted.' },
      },
      async handler(ctx, { params }) {
        const before = clientJson(await deps.clients.require(params.clientId ?? ''));
        await deps.clients.delete(params.clientId ?? '');
        await audit(ctx, 'client.delete', before.clientId, before);
        ctx.status = 204;
      },
    }),
  ];
}
