import Provider, { errors } from 'oidc-provider';

/** The secret-based method a request used: the Authorization header, or the form body. */
type SecretMethod = 'client_secret_basic' | 'client_secret_post';

/**
 * Holds every client to the token endpoint auth method it registered, on every endpoint that
 * authenticates clients (token, introspection, revocation, pushed authorization, device
 * authorization).
 *
 * oidc-provider already refuses a method of another kind (a secret from a `private_key_jwt`
 * client, an assertion from a `client_secret_basic` one), but it treats `client_secret_basic` and
 * `client_secret_post` as one method. Both carry the same secret, yet a client registered for one
 * must not be accepted with the other: the registration is the contract an operator reviewed (a
 * secret in a form body ends up in places a header does not, such as proxy and WAF body logs).
 *
 * oidc-provider compares a presented secret through `Client#compareClientSecret`, the hook its
 * maintainer keeps exposed for custom secret checks; the request it belongs to is `Provider.ctx`.
 * A mismatch is the same 401 invalid_client oidc-provider answers for a method of another kind.
 */
export function enforceRegisteredAuthMethod(provider: Provider): void {
  const prototype = provider.Client.prototype;
  const compare = prototype.compareClientSecret;
  prototype.compareClientSecret = async function compareWithMethod(actual) {
    const ctx = Provider.ctx;
    if (ctx && this.clientAuthMethod !== presentedMethod(ctx.headers.authorization)) {
      throw new errors.InvalidClientAuth(
        'the provided authentication mechanism does not match the registered client authentication method',
      );
    }
    return compare.call(this, actual);
  };
}

/** oidc-provider reads a secret from the Authorization header when there is one, else the body. */
function presentedMethod(authorization: string | undefined): SecretMethod {
  return authorization === undefined ? 'client_secret_post' : 'client_secret_basic';
}
