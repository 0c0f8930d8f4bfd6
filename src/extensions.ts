import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { UserManager, UserManagerDeps } from './users/user-manager.ts';

/**
 * What `GATEHOUSE_EXTENSIONS` modules and `createGatehouse(options)` customise. Collected before
 * the container is built; nothing here is mutable afterwards.
 */
export class GatehouseBuilder {
  userManagerFactory: ((deps: UserManagerDeps) => UserManager) | undefined;

  /** Replaces the user manager, as Umbraco's `SetBackOfficeUserManager`. */
  setUserManager(factory: (deps: UserManagerDeps) => UserManager): this {
    this.userManagerFactory = factory;
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
