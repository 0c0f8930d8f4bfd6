import type { Gatehouse } from '../../container.ts';

/** The services the AuthenticationController API calls; handlers stay thin. */
export type AuthApiDeps = Pick<
  Gatehouse,
  | 'settings'
  | 'sessions'
  | 'signInManager'
  | 'signIn'
  | 'userManager'
  | 'invitations'
  | 'passwordReset'
  | 'notifications'
  | 'twoFactor'
  | 'external'
>;
