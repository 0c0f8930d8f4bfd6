import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import type { CryptoKey } from 'jose';
import { calculateJwkThumbprint, exportJWK, importPKCS8 } from 'jose';
import * as oidc from 'openid-client';
import type { ExternalProvider } from './external-provider.ts';
import type { TokenEndpointAuthMethod } from './provider-schema.ts';

/**
 * How Gatehouse authenticates at an upstream's token endpoint. When the admin did not choose, the
 * upstream's `token_endpoint_auth_methods_supported` decides (RFC 8414: absent means
 * client_secret_basic only). client_secret_basic form-encodes the id and secret before base64
 * (RFC 6749 §2.3.1), which servers that skip the decoding (LemonLDAP::NG) refuse; when the
 * credentials contain anything that encoding changes and the upstream accepts client_secret_post,
 * post is chosen, where nothing is double-encoded.
 */
export function chooseAuthMethod(
  provider: Pick<ExternalProvider, 'clientId' | 'clientSecret' | 'clientPrivateKey' | 'options'>,
  supported: readonly string[] | undefined,
): TokenEndpointAuthMethod {
  const explicit = provider.options.tokenEndpointAuthMethod;
  if (explicit) return explicit;
  const offered = supported?.length ? supported : ['client_secret_basic'];
  if (provider.clientPrivateKey && (offered.includes('private_key_jwt') || !provider.clientSecret))
    return 'private_key_jwt';
  const basicSafe = /^[A-Za-z0-9]*$/.test(provider.clientId + provider.clientSecret);
  if (offered.includes('client_secret_basic') && (basicSafe || !offered.includes('client_secret_post')))
    return 'client_secret_basic';
  return offered.includes('client_secret_post') ? 'client_secret_post' : 'client_secret_basic';
}

export async function clientAuthFor(
  provider: Pick<ExternalProvider, 'clientSecret' | 'clientPrivateKey'>,
  method: TokenEndpointAuthMethod,
): Promise<oidc.ClientAuth> {
  if (method === 'client_secret_post') return oidc.ClientSecretPost(provider.clientSecret);
  if (method === 'client_secret_basic') return oidc.ClientSecretBasic(provider.clientSecret);
  if (!provider.clientPrivateKey) throw new Error('private_key_jwt needs a client private key');
  const signer = await assertionKey(provider.clientPrivateKey);
  return oidc.PrivateKeyJwt(
    { key: signer.key, kid: signer.kid },
    {
      // Entra finds a certificate credential by its thumbprint, not by kid.
      [oidc.modifyAssertion]: (header) => {
        if (signer.x5t) Object.assign(header, { x5t: signer.x5t, 'x5t#S256': signer.x5tS256 });
      },
    },
  );
}

interface AssertionKey {
  key: CryptoKey;
  kid: string;
  x5t?: string | undefined;
  x5tS256?: string | undefined;
}

/**
 * The PEM holds a PKCS#8 key and, for upstreams that register certificates (Entra), optionally
 * its certificate. The kid is the public key's JWK thumbprint, so the upstream can match it.
 */
export async function assertionKey(pem: string): Promise<AssertionKey> {
  const keyPem = pem.match(/-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/)?.[0];
  if (!keyPem) throw new Error('the client private key must be PKCS#8 (BEGIN PRIVATE KEY)');
  const alg = signingAlg(keyPem);
  const key = await importPKCS8(keyPem, alg, { extractable: true });
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = await exportJWK(key);
  const cert = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)?.[0];
  const der = cert ? new X509Certificate(cert).raw : undefined;
  return {
    key,
    kid: await calculateJwkThumbprint(publicJwk),
    x5t: der ? createHash('sha1').update(der).digest('base64url') : undefined,
    x5tS256: der ? createHash('sha256').update(der).digest('base64url') : undefined,
  };
}

/** The public half of the client key as a JWK, to register at the upstream. */
export async function publicJwkOf(pem: string): Promise<Record<string, unknown>> {
  const { key, kid } = await assertionKey(pem);
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...jwk } = await exportJWK(key);
  return {
    ...jwk,
    kid,
    use: 'sig',
    alg: key.algorithm.name === 'RSASSA-PKCS1-v1_5' ? 'RS256' : jwk.crv === 'P-384' ? 'ES384' : 'ES256',
  };
}

function signingAlg(keyPem: string): string {
  const details = createPrivateKey(keyPem);
  if (details.asymmetricKeyType === 'rsa') return 'RS256';
  const curve = details.asymmetricKeyDetails?.namedCurve;
  if (curve === 'secp384r1') return 'ES384';
  if (curve === 'prime256v1') return 'ES256';
  throw new Error('the client private key must be RSA, or EC on P-256 or P-384');
}
