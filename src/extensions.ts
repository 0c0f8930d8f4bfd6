import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ExternalProviderInput } from './external-logins/external-provider.ts';
import type { EmailSender } from './notifications/email/email-message.ts';
import type { NotificationHandler } from './notifications/notification-bus.ts';
import type { NotificationType } from './notifications/notification-types.ts';
import type { UserManager, UserManagerDeps } from './users/user-manager.ts';

/** The part of the notification bus an extension sees: it can listen, not publish. */
export interface NotificationRegistry {
  on<K extends NotificationType>(type: K, handler: NotificationHandler<K>): () => void;
}

/**
 * What `GATEHOUSE_EXTENSIONS` modules and `createGatehouse(options)` customise, before the
 * services are built.
 */
export class GatehouseBuilder {
  readonly notifications: NotificationRegistry;
  userManagerFactory: ((deps: UserManagerDeps) => UserManager) | undefined;
  emailSender: EmailSender | undefined;
  readonly externalProviders: ExternalProviderInput[] = [];

  constructor(notifications: NotificationRegistry) {
    this.notifications = notifications;
  }

  /** Replaces the user manager, as Umbraco's `SetBackOfficeUserManager`. */
  setUserManager(factory: (deps: UserManagerDeps) => UserManager): this {
    this.userManagerFactory = factory;
    return this;
  }

  /**
   * Declares an upstream provider in code (`alias`, `issuer`, `clientId`, `clientSecret`, and the
   * options of DESIGN.md's table). It is listed with the database's and cannot be edited by the CLI.
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
