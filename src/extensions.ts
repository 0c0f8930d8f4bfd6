import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ExternalProviderInput } from './external-logins/external-provider.ts';
import type { EmailSender } from './notifications/email/email-message.ts';
import type { NotificationBus, NotificationHandler } from './notifications/notification-bus.ts';
import type { NotificationType } from './notifications/notification-types.ts';
import type { UserManager, UserManagerDeps } from './users/user-manager.ts';

/** The part of the notification bus an extension sees: it can listen, not publish. */
export interface NotificationRegistry {
  on<K extends NotificationType>(type: K, handler: NotificationHandler<K>): () => void;
}

/**
 * Records the handlers an extension registers. The container applies them once every service
 * exists and Gatehouse's own handlers are registered, so an extension's handler always runs after
 * the defaults (and may change what they decided, e.g. a `signOutRedirectUrl`).
 */
class RecordedHandlers implements NotificationRegistry {
  readonly #entries: Array<{ apply: (bus: NotificationBus) => () => void; remove?: () => void }> = [];

  on<K extends NotificationType>(type: K, handler: NotificationHandler<K>): () => void {
    const entry: { apply: (bus: NotificationBus) => () => void; remove?: () => void } = {
      apply: (bus) => bus.on(type, handler),
    };
    this.#entries.push(entry);
    return () => {
      const index = this.#entries.indexOf(entry);
      if (index >= 0) this.#entries.splice(index, 1);
      entry.remove?.();
    };
  }

  applyTo(bus: NotificationBus): void {
    for (const entry of this.#entries) entry.remove = entry.apply(bus);
  }
}

/**
 * What `GATEHOUSE_EXTENSIONS` modules and `createGatehouse(options)` customise, before the
 * services are built.
 */
export class GatehouseBuilder {
  readonly #handlers = new RecordedHandlers();
  readonly notifications: NotificationRegistry = this.#handlers;
  userManagerFactory: ((deps: UserManagerDeps) => UserManager) | undefined;
  emailSender: EmailSender | undefined;
  readonly externalProviders: ExternalProviderInput[] = [];

  /** Registers the recorded extension handlers on the bus, after Gatehouse's own. */
  applyHandlers(bus: NotificationBus): void {
    this.#handlers.applyTo(bus);
  }

  /** Replaces the user manager, as Umbraco's `SetBackOfficeUserManager`. */
  setUserManager(factory: (deps: UserManagerDeps) => UserManager): this {
    this.userManagerFactory = factory;
    return this;
  }

  /**
   * Declares an upstream provider in code (`alias`, `issuer`, `clientId`, `clientSecret`, and the
   * options of docs/extending.md's table). It is listed with the database's and cannot be edited by the CLI.
   */
  addExternalLoginProvider(provider: ExternalProviderInput): this {
    this.externalProviders.push(provider);
    return this;
  }

  /** Replaces email delivery (SMTP or the outbox). */
  setEmailSender(sender: EmailSender): this {
    this.emailSender = sender;
    return this;
  }
}

export type Configure = (builder: GatehouseBuilder) => void | Promise<void>;

/** Loads the module named by `GATEHOUSE_EXTENSIONS` and lets it configure the builder. */
export async function loadExtensions(path: string, builder: GatehouseBuilder): Promise<void> {
  const module = (await import(pathToFileURL(resolve(path)).href)) as {
    configure?: unknown;
    default?: { configure?: unknown };
  };
  const configure = module.configure ?? module.default?.configure;
  if (typeof configure !== 'function') {
    throw new Error(`GATEHOUSE_EXTENSIONS: ${path} does not export a configure(builder) function`);
  }
  await (configure as Configure)(builder);
}
