import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createProviderFetch,
  isPrivateAddress,
  pointsToPrivateNetwork,
} from '../../src/oidc/private-network-guard.ts';

describe('isPrivateAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.10', 'private'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['169.254.169.254', 'link-local, the cloud metadata service'],
    ['0.0.0.0', 'unspecified'],
    ['::1', 'IPv6 loopback'],
    ['::', 'IPv6 unspecified'],
    ['fc00::1', 'IPv6 unique local'],
    ['fd12:3456::1', 'IPv6 unique local'],
    ['fe80::1', 'IPv6 link-local'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
    ['::ffff:7f00:1', 'IPv4-mapped loopback in hex, as URL parsing writes it'],
    ['::FFFF:10.0.0.1', 'IPv4-mapped private, upper case'],
  ])('refuses %s (%s)', (address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  it.each([
    ['8.8.8.8'],
    ['172.32.0.1'],
    ['192.169.0.1'],
    ['100.128.0.1'],
    ['2001:4860:4860::8888'],
    ['::ffff:8.8.8.8'],
    ['not-an-address'],
    [''],
  ])('allows %s', (address) => {
    expect(isPrivateAddress(address)).toBe(false);
  });
});

describe('pointsToPrivateNetwork', () => {
  it.each([
    'http://localhost:5432/',
    'https://app.localhost/logout',
    'http://127.0.0.1:9/backchannel',
    'http://[::1]/x',
    'http://[::ffff:127.0.0.1]/x',
    // The URL parser turns these spellings of 127.0.0.1 into the dotted form first.
    'http://2130706433/',
    'http://0x7f.0.0.1/',
    'http://169.254.169.254/latest/meta-data/',
  ])('is true for %s', async (url) => {
    expect(await pointsToPrivateNetwork(url)).toBe(true);
  });

  it.each(['http://localhost./', 'http://app.localhost./', 'http://127.0.0.1./'])(
    'is true for %s: a fully qualified name ends in a dot that names the same host',
    async (url) => {
      expect(await pointsToPrivateNetwork(url)).toBe(true);
    },
  );

  it('is false for a public address and for a name that does not resolve', async () => {
    expect(await pointsToPrivateNetwork('https://93.184.215.14/')).toBe(false);
    expect(await pointsToPrivateNetwork(new URL('https://gatehouse-test.invalid/'))).toBe(false);
  });
});

describe('createProviderFetch', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer((_req, res) => res.end('reached'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /**
   * oidc-provider's own SSRF guard, built as its fetch helper builds it: an undici Agent that
   * destroys any socket connected to a special-use address.
   */
  async function oidcProviderDispatcher(): Promise<unknown> {
    const internals = (await import('oidc-provider/lib/helpers/fetch_request.js' as string)) as {
      applySSRFProtection(dispatcher: unknown): unknown;
    };
    void Response; // loads undici, which registers its global dispatcher
    const global = Reflect.get(globalThis, Symbol.for('undici.globalDispatcher.1')) as {
      constructor: new () => unknown;
    };
    return internals.applySSRFProtection(new global.constructor());
  }

  it('keeps oidc-provider’s guard by default, so a loopback target is refused', async () => {
    const init = { dispatcher: await oidcProviderDispatcher() } as RequestInit;
    await expect(createProviderFetch(false)(url, init)).rejects.toMatchObject({
      cause: { message: 'hostname resolves to a special-use IP address' },
    });
  });

  it('drops the guard when private targets are allowed, so the loopback target is reached', async () => {
    const init = { dispatcher: await oidcProviderDispatcher() } as RequestInit;
    const response = await createProviderFetch(true)(url, init);
    expect(await response.text()).toBe('reached');
  });
});
