import { type SignedCookie, signedCookie } from './signed-cookie.ts';

/**
 * The partial sign-in of an invitee: after `verify-invite`, a signed, HttpOnly cookie holds the
 * invitation token, and only the invitation endpoints accept it. The token itself stays unused
 * until the invitation is completed.
 */
export function inviteCookie(secure: boolean): SignedCookie {
  return signedCookie('gh_invite', secure);
}
