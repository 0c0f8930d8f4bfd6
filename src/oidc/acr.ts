/**
 * Authentication context classes, numbered as Keycloak's levels of authentication so that clients
 * written against Keycloak can ask for `acr_values=2` and read `acr` the same way.
 */
export const ACR = {
  /** One factor: a password or an upstream provider. */
  singleFactor: '1',
  /** Two factors: a password (or upstream) and a second factor. */
  multiFactor: '2',
} as const;
