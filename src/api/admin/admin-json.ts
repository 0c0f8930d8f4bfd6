import { clientView } from '../../cli/client-flags.ts';
import { providerView } from '../../cli/provider-flags.ts';
import type { ExternalLogin } from '../../external-logins/external-login-store.ts';
import type { ExternalProvider } from '../../external-logins/external-provider.ts';
import type { AuditEvent } from '../../notifications/audit-store.ts';
import type { OutboxMessage } from '../../notifications/email/outbox-store.ts';
import type { StoredClient } from '../../oidc/client-store.ts';
import { isBuiltInClient } from '../../oidc/console-client.ts';
import type { ActiveSession } from '../../oidc/session-service.ts';
import type { KeyInfo } from '../../oidc/signing-keys.ts';

/*
 * The admin API's answers. Clients and providers are shown exactly as `gatehouse client|provider
 * show --json` prints them (the same view functions), so the CLI and the API share field names.
 */

const iso = (d: Date | null | undefined) => d?.toISOString() ?? null;

export function clientJson(client: StoredClient) {
  const view = clientView(client);
  return {
    ...view,
    builtIn: isBuiltInClient(client.clientId),
    createdAt: view.createdAt.toISOString(),
    updatedAt: view.updatedAt.toISOString(),
  };
}

export function providerJson(provider: ExternalProvider, issuer: string) {
  return providerView(provider, issuer);
}

export function sessionJson(s: ActiveSession) {
  return {
    uid: s.uid,
    device: s.device,
    ip: s.ip,
    signedInAt: iso(s.signedInAt),
    lastSeenAt: iso(s.lastSeenAt),
    expiresAt: iso(s.expiresAt),
    clientIds: s.clientIds,
  };
}

export function externalLoginJson(link: ExternalLogin, providers: Map<string, ExternalProvider>) {
  return {
    providerAlias: link.providerAlias,
    providerName: providers.get(link.providerAlias)?.displayName ?? null,
    subject: link.subject,
    email: link.email,
    detached: !providers.has(link.providerAlias),
    createdAt: link.createdAt.toISOString(),
    lastUsedAt: iso(link.lastUsedAt),
  };
}

export function keyState(key: KeyInfo, now = new Date()): 'active' | 'retired' | 'expired' {
  if (!key.retiredAt) return 'active';
  return key.expiresAt && key.expiresAt <= now ? 'expired' : 'retired';
}

export function keyJson(key: KeyInfo) {
  return {
    kid: key.kid,
    alg: key.alg,
    state: keyState(key),
    createdAt: key.createdAt.toISOString(),
    retiredAt: iso(key.retiredAt),
    expiresAt: iso(key.expiresAt),
  };
}

export function auditEventJson(e: AuditEvent) {
  return { ...e, at: e.at.toISOString() };
}

export function outboxJson(m: OutboxMessage) {
  return { ...m, createdAt: m.createdAt.toISOString() };
}
