import type { Settings } from '../config/settings.ts';
import { SecretBox } from '../crypto/secret-box.ts';
import type { Database } from '../db/database.ts';
import { GatehouseBuilder, loadExtensions } from '../extensions.ts';
import { checkDiscovery } from '../external-logins/discovery-check.ts';
import { ExternalProviderStore } from '../external-logins/external-provider-store.ts';
import { ProviderRegistry } from '../external-logins/provider-registry.ts';
import { SIGNING_ALGORITHMS, SigningKeyService } from '../oidc/signing-keys.ts';
import { firstLine } from './runtime.ts';

/** One finding of `gatehouse doctor`: `fail` is something to fix, `warn` something to know. */
export interface Check {
  check: string;
  status: 'ok' | 'warn' | 'fail' | 'skipped';
  message: string;
}

const DAY_MS = 24 * 3600 * 1000;
/** An active key older than this still works; rotating now and then limits what a leaked key signs. */
const OLD_KEY_DAYS = 365;
const SMTP_TIMEOUT_MS = 5_000;

/**
 * Signing keys: one active key per algorithm, readable with this SECRET_KEY. Read only: unlike a
 * server start, the check creates no missing key, so that it reports what is there.
 */
export async function checkKeys(db: Database, settings: Settings): Promise<Check> {
  const service = new SigningKeyService(db, new SecretBox(settings.secretKey), 0);
  const keys = await service.list();
  const active = keys.filter((k) => !k.retiredAt).sort((a, b) => a.alg.localeCompare(b.alg));
  const missing = SIGNING_ALGORITHMS.filter((alg) => !active.some((k) => k.alg === alg));
  if (missing.length) {
    return fail(
      'signing keys',
      `no active ${missing.join(' and ')} key; \`gatehouse keys rotate\` or the next server start creates one`,
    );
  }
  try {
    await service.loadJwks();
  } catch {
    return fail(
      'signing keys',
      'the keys cannot be decrypted: SECRET_KEY is not the one they were stored with',
    );
  }
  const oldest = Math.min(...active.map((k) => k.createdAt.getTime()));
  const ageDays = Math.floor((Date.now() - oldest) / DAY_MS);
  const retired = keys.length - active.length;
  const summary = `${active.map((k) => `${k.alg} ${k.kid}`).join(', ')} active; ${retired} retired still published`;
  if (ageDays > OLD_KEY_DAYS) {
    return {
      check: 'signing keys',
      status: 'warn',
      message: `${summary}; ${ageDays} days old: consider \`gatehouse keys rotate\``,
    };
  }
  return ok('signing keys', summary);
}

/** SMTP answers and accepts the credentials; without SMTP, the outbox is a choice, not a fault. */
export async function checkEmail(settings: Settings): Promise<Check> {
  if (settings.emailDelivery !== 'smtp' || !settings.smtpUrl) {
    return ok(
      'email',
      'kept in the outbox table (EMAIL_DELIVERY=outbox or SMTP_URL unset); the admin API lists them',
    );
  }
  const url = new URL(settings.smtpUrl);
  const where = `${url.protocol}//${url.host}`;
  const { default: nodemailer } = await import('nodemailer');
  const transport = nodemailer.createTransport(settings.smtpUrl, {});
  try {
    await Promise.race([
      transport.verify(),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error('no answer within 5 s')), SMTP_TIMEOUT_MS).unref(),
      ),
    ]);
    return ok('email', `SMTP at ${where} accepts connections`);
  } catch (error) {
    return fail('email', `SMTP_URL: ${where}: ${firstLine(error)}`);
  } finally {
    transport.close();
  }
}

/** Every upstream's discovery document, fetched as `provider create` does. */
export async function checkProviders(db: Database, settings: Settings): Promise<Check[]> {
  const builder = new GatehouseBuilder();
  if (settings.extensionsPath) await loadExtensions(settings.extensionsPath, builder);
  const store = new ExternalProviderStore(db, new SecretBox(settings.secretKey));
  const registry = new ProviderRegistry(store, builder.externalProviders, {
    allowHttp: settings.allowPrivateNetworkFetch,
  });
  const providers = await registry.list();
  if (providers.length === 0) return [ok('providers', 'no upstream providers')];
  return Promise.all(
    providers.map(async (p): Promise<Check> => {
      const report = await checkDiscovery(p);
      const name = `provider ${p.alias}`;
      if (!report.ok) return fail(name, `${p.issuer}: ${report.error ?? 'incomplete discovery document'}`);
      const logout = report.endSessionEndpoint ? 'end-session' : 'no end-session';
      return ok(name, `${p.issuer}: ${report.discoveryUrl ? 'discovery' : 'endpoints'} ok, ${logout}`);
    }),
  );
}

export function ok(check: string, message: string): Check {
  return { check, status: 'ok', message };
}

export function fail(check: string, message: string): Check {
  return { check, status: 'fail', message };
}

export function skipped(check: string, because: string): Check {
  return { check, status: 'skipped', message: because };
}
