import type { Middleware } from 'koa';
import type { Gatehouse } from '../container.ts';

/** The services the self-service pages call; handlers stay thin. */
export type AccountDeps = Pick<
  Gatehouse,
  | 'settings'
  | 'views'
  | 'sessions'
  | 'userManager'
  | 'invitations'
  | 'passwordReset'
  | 'external'
  | 'signInManager'
  | 'consents'
  | 'signIn'
>;

/** Body parsing and CSRF verification, in that order, for every form POST. */
export interface FormGuards {
  body: Middleware;
  csrf: Middleware;
}
