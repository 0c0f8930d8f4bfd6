import { userInfo } from 'node:os';
import type { Logger } from '../operations/logger.ts';
import type { AuditStore } from './audit-store.ts';
import type { Actor, Principal } from './notification-types.ts';

/** What an administrator did, as `<object>.<verb>`: `user.create`, `client.update`, `keys.rotate`… */
export type AdminActionName =
  `${'user' | 'client' | 'provider' | 'keys' | 'invitation' | 'two-factor' | 'settings'}.${string}`;

export interface AdminAction {
  action: AdminActionName;
  /** What was acted on: `{ type: 'user', id }`, `{ type: 'client', id: clientId }`… */
  target: { type: string; id: string };
  /** The object before the change (omit for a creation); secrets are redacted here. */
  before?: object | null | undefined;
  /** The object after the change (omit for a deletion); secrets are redacted here. */
  after?: object | null | undefined;
}

/** An administrative caller: who (always known) and from where (unknown for the command line). */
export interface AdminActor extends Actor {
  performedBy: Principal;
}

/** The actor for the command line: `cli` with the operating-system user who ran it. */
export function cliActor(): AdminActor {
  let name = 'unknown';
  try {
    name = userInfo().username;
  } catch {
    // A container user without a passwd entry: still a CLI action, by an unnamed user.
  }
  return { performedBy: { kind: 'cli', id: name } };
}

// Field names whose values are never written: credentials, hashes and keys of any kind.
const SECRET_FIELD = /secret|password|passphrase|hash|token|private|^key$|^d$|^k$|recovery|stamp|credential/i;

/**
 * A copy of `value` fit for the audit log: secret-looking fields become `"[redacted]"` (so the log
 * still shows that they were set or changed), dates become ISO strings, functions are dropped.
 */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[nested]';
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (typeof v === 'function' || v === undefined) continue;
      out[key] = SECRET_FIELD.test(key) ? (v === null ? null : '[redacted]') : redactSecrets(v, depth + 1);
    }
    return out;
  }
  return value;
}

/**
 * Writes one `AdminAction` audit event per administrative change, from every way in (CLI, admin
 * API, admin console). Call it after the change succeeded, with the object before and after it.
 */
export class AdminAudit {
  readonly #store: AuditStore;
  readonly #logger: Logger;

  constructor(store: AuditStore, logger: Logger) {
    this.#store = store;
    this.#logger = logger;
  }

  async record(actor: AdminActor, action: AdminAction): Promise<void> {
    const details: Record<string, unknown> = { action: action.action, target: action.target };
    if (action.before !== undefined) details.before = redactSecrets(action.before);
    if (action.after !== undefined) details.after = redactSecrets(action.after);
    try {
      await this.#store.write({
        type: 'AdminAction',
        ip: actor.ip,
        actor: actor.performedBy,
        affectedUserId: action.target.type === 'user' ? action.target.id : undefined,
        details,
      });
    } catch (err) {
      // The change is made; losing its audit line must be loud, but must not undo or hide it.
      this.#logger.error({ err, action: action.action }, 'could not write the admin audit event');
    }
  }
}
