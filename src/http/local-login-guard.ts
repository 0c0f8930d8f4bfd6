import type { Context, Middleware } from 'koa';
import { AppError } from '../errors/app-error.ts';

/** Whatever knows whether DenyLocalLogin is on (the provider registry). */
export interface LocalLoginSwitch {
  denyLocalLogin(): Promise<boolean>;
}

/**
 * DenyLocalLogin, in one place: every route that signs in with, sets, resets or changes a local
 * password is mounted behind this guard. When any provider turns local login off, the route is
 * refused with 403 `local_login_denied` — thrown (the JSON API answers it as an error body), or
 * handed to `refuse` so a page can say in a sentence what to do instead.
 */
export function localLoginGuard(
  localLogin: LocalLoginSwitch,
  refuse: (ctx: Context) => void | Promise<void> = () => {
    throw new AppError('local_login_denied');
  },
): Middleware {
  return async (ctx, next) => {
    if (!(await localLogin.denyLocalLogin())) return next();
    ctx.status = 403;
    await refuse(ctx);
  };
}

/** For pages deciding what to offer: password forms and links only while local login is allowed. */
export async function localLoginAllowed(localLogin: LocalLoginSwitch): Promise<boolean> {
  return !(await localLogin.denyLocalLogin());
}
