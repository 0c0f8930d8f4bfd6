import type { Gatehouse } from '../../container.ts';

/** The services the admin API calls; handlers stay thin. */
export type AdminApiDeps = Pick<
  Gatehouse,
  | 'settings'
  | 'userManager'
  | 'invitations'
  | 'passwordReset'
  | 'sessions'
  | 'audit'
  | 'adminAudit'
  | 'outbox'
  | 'host'
  | 'twoFactor'
  | 'external'
  | 'clients'
  | 'keys'
>;
