import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Addresses a server-side request must not reach unless the operator allows it: loopback, private
 * ranges, link-local (cloud metadata) and unspecified. Without this guard a client registration
 * with a back-channel logout URI of http://127.0.0.1:5432 would have Gatehouse probe its own host.
 */
const privateRanges = new BlockList();
privateRanges.addSubnet('0.0.0.0', 8, 'ipv4');
privateRanges.addSubnet('10.0.0.0', 8, 'ipv4');
privateRanges.addSubnet('100.64.0.0', 10, 'ipv4');
privateRanges.addSubnet('127.0.0.0', 8, 'ipv4');
privateRanges.addSubnet('169.254.0.0', 16, 'ipv4');
privateRanges.addSubnet('172.16.0.0', 12, 'ipv4');
privateRanges.addSubnet('192.168.0.0', 16, 'ipv4');
privateRanges.addAddress('::', 'ipv6');
privateRanges.addAddress('::1', 'ipv6');
privateRanges.addSubnet('fc00::', 7, 'ipv6');
privateRanges.addSubnet('fe80::', 10, 'ipv6');

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  const mapped = address.toLowerCase().startsWith('::ffff:') ? address.slice(7) : undefined;
  if (mapped && isIP(mapped) === 4) return privateRanges.check(mapped, 'ipv4');
  return privateRanges.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** True when the URL's host is, or resolves to, a private address. */
export async function pointsToPrivateNetwork(url: string | URL): Promise<boolean> {
  const { hostname } = new URL(url);
  // "localhost." is "localhost", fully qualified; without this it dodged the literal check below
  // and, where the resolver does not know the dotted form, the lookup as well.
  const host = hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host)) return isPrivateAddress(host);
  try {
    const addresses = await lookup(host, { all: true });
    return addresses.some((a) => isPrivateAddress(a.address));
  } catch {
    return false;
  }
}

/**
 * oidc-provider's `fetch` option. oidc-provider itself refuses connections to special-use addresses
 * (checked on the connected socket, so DNS rebinding cannot dodge it) through the dispatcher it
 * passes in; when the operator allows private targets, that dispatcher is dropped.
 */
export function createProviderFetch(allowPrivateNetwork: boolean): typeof fetch {
  if (!allowPrivateNetwork) return (input, init) => fetch(input, init);
  return (input, init) => {
    const { dispatcher: _ssrfGuard, ...rest } = (init ?? {}) as RequestInit & { dispatcher?: unknown };
    return fetch(input, rest);
  };
}
