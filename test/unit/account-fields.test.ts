import { describe, expect, it } from 'vitest';
import { redirectUrisProblem } from '../../src/oidc/redirect-uris.ts';
import { emailProblem, groupNameProblem, normaliseEmail } from '../../src/users/user-fields.ts';

/** The domain's rules that the CLI, the admin API and the console share (issue 14). */
describe('the shared field rules', () => {
  it('accepts ordinary and internationalised email addresses', () => {
    for (const address of [
      'ann@example.com',
      'first.last+tag@sub.example.co.uk',
      'jürgen@bücher.example',
      '用户@例子.广告',
      'δοκιμή@παράδειγμα.δοκιμή',
      'user@xn--bcher-kva.example',
      "o'brien@example.ie",
    ]) {
      expect(emailProblem(address), address).toBeUndefined();
    }
  });

  it('refuses what is not an address, each with a reason', () => {
    for (const address of [
      '',
      'not-an-email',
      '@example.com',
      'a@',
      'a@localhost',
      'a b@example.com',
      'a@@example.com',
      '.a@example.com',
      'a..b@example.com',
      'a@exa mple.com',
      'a@example.123',
      'a@-example.com',
      `${'x'.repeat(65)}@example.com`,
    ]) {
      expect(emailProblem(address), address).toMatch(/\.$/);
    }
  });

  it('stores one form of an address typed two ways (NFC)', () => {
    expect(normaliseEmail(' ju\u0308rgen@example.com ')).toBe('jürgen@example.com');
  });

  it('accepts group names made of letters, digits and . _ : / -, and nothing else', () => {
    for (const name of [
      'admin',
      'editors',
      'staff-oid',
      'team.alpha',
      'app:reader',
      'ops/eu',
      'Équipe',
      '管理者',
      'a1b2c3d4-0000-4000-8000-000000000000',
    ]) {
      expect(groupNameProblem(name), name).toBeUndefined();
    }
    for (const name of [
      'bad group!',
      'bad group',
      'with!bang',
      '',
      '-leading',
      'x'.repeat(65),
      'tab\there',
      'semi;colon',
    ]) {
      expect(groupNameProblem(name), name).toMatch(/is not a valid group name/);
    }
  });

  it('refuses wildcard redirect URIs and redirect URIs on a client no browser comes back to', () => {
    expect(
      redirectUrisProblem({ client_id: 'a', redirect_uris: ['https://app.example.com/cb'] }),
    ).toBeUndefined();
    expect(
      redirectUrisProblem({ client_id: 'a', redirect_uris: ['https://*.example.com/cb'] })?.message,
    ).toMatch(/has a wildcard/);
    expect(
      redirectUrisProblem({ client_id: 'a', post_logout_redirect_uris: ['https://app.example.com/*'] })
        ?.message,
    ).toMatch(/has a wildcard/);
    expect(
      redirectUrisProblem({
        client_id: 'm',
        grant_types: ['client_credentials'],
        redirect_uris: ['https://app.example.com/cb'],
      })?.message,
    ).toMatch(/only the client_credentials grant .* takes no redirect URI/);
    expect(
      redirectUrisProblem({ client_id: 'm', grant_types: ['client_credentials'], redirect_uris: [] }),
    ).toBeUndefined();
  });
});
