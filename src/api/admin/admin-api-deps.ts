import type { Gatehouse } from '../../container.ts';

/** The services the admin API calls; handlers stay thin. */
export type AdminApiDeps = Pick<
  Gatehouse,
  'userManager' | 'invitations' | 'sessions' | 'audit' | 'adminAudit' | 'host' | 'twoFactor' | 'external'
>;
