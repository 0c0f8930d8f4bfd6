import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSettings, SettingsError } from '../../src/config/settings.ts';

const SECRET = 'a-secret-key-of-at-least-32-characters';

describe('loadSettings', () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-settings-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  const load = (env: Record<string, string | undefined>) =>
    loadSettings({ NODE_ENV: 'test', SECRET_KEY: SECRET, DATA_DIR: dataDir, ...env });

  it('applies the documented defaults', () => {
    const s = loadSettings({ DATA_DIR: dataDir, SECRET_KEY: SECRET });
    expect(s).toMatchObject({
      nodeEnv: 'development',
      port: 3000,
      host: '0.0.0.0',
      issuer: 'http://localhost:3000',
      databaseUrl: undefined,
      dataDir,
      secretKey: SECRET,
      trustProxy: false,
      smtpUrl: undefined,
      mailFrom: 'Gatehouse <no-reply@localhost>',
      extensionsPath: undefined,
      logLevel: 'info',
      allowPrivateNetworkFetch: false,
    });
    // The documented security defaults (docs/security.md): 10 characters, lockout after 5 failures.
    expect(s.passwords.requiredLength).toBe(10);
    expect(s.lockout.maxFailedAccessAttempts).toBe(5);
  });

  it('derives the default issuer from PORT and drops trailing slashes from ISSUER', () => {
    expect(load({ PORT: '8080' }).issuer).toBe('http://localhost:8080');
    expect(load({ ISSUER: 'https://id.example.com/' }).issuer).toBe('https://id.example.com');
    expect(load({ ISSUER: 'https://example.com/id//' }).issuer).toBe('https://example.com/id');
  });

  it('treats an empty variable as unset', () => {
    const s = load({ PORT: '', ISSUER: '', LOG_LEVEL: '', DATABASE_URL: '' });
    expect(s.port).toBe(3000);
    expect(s.issuer).toBe('http://localhost:3000');
    expect(s.logLevel).toBe('info');
    expect(s.databaseUrl).toBeUndefined();
  });

  it.each([
    ['true', true],
    ['1', true],
    ['yes', true],
    ['false', false],
    ['0', false],
    ['no', false],
  ])('reads TRUST_PROXY=%s as %s', (value, expected) => {
    expect(load({ TRUST_PROXY: value }).trustProxy).toBe(expected);
  });

  it.each([
    ['PORT', 'http'],
    ['PORT', '70000'],
    ['PORT', '80.5'],
    ['NODE_ENV', 'staging'],
    ['ISSUER', 'ftp://id.example.com'],
    ['ISSUER', 'id.example.com'],
    // oidc-provider refuses these later, with a message that does not name the setting.
    ['ISSUER', 'https://id.example.com/?tenant=a'],
    ['ISSUER', 'https://id.example.com/#top'],
    ['ISSUER', 'https://user:secret@id.example.com'],
    ['DATABASE_URL', 'mysql://db.example.com/gatehouse'],
    ['SECRET_KEY', 'too-short'],
    ['TRUST_PROXY', 'maybe'],
    ['SMTP_URL', 'http://mail.example.com'],
    ['LOG_LEVEL', 'loud'],
    ['ALLOW_PRIVATE_NETWORK_FETCH', 'sometimes'],
    ['KEYS_REFRESH_INTERVAL_SECONDS', '0'],
    ['PURGE_INTERVAL_SECONDS', 'often'],
    ['PASSWORD_REQUIRED_LENGTH', '0'],
    ['MAX_FAILED_ACCESS_ATTEMPTS_BEFORE_LOCKOUT', '-1'],
  ])('stops on %s=%s with a message naming the setting', (name, value) => {
    const attempt = () => load({ [name]: value });
    expect(attempt).toThrow(SettingsError);
    expect(attempt).toThrow(new RegExp(`^${name}: \\S`));
  });

  it('requires SECRET_KEY in production and writes nothing', () => {
    const attempt = () => loadSettings({ NODE_ENV: 'production', DATA_DIR: dataDir });
    expect(attempt).toThrow(SettingsError);
    expect(attempt).toThrow(/^SECRET_KEY: required when NODE_ENV=production/);
    expect(readdirSync(dataDir)).toEqual([]);
    expect(loadSettings({ ...PRODUCTION, DATA_DIR: dataDir }).secretKey).toBe(SECRET);
  });

  // Issue 10: production starts only with https, real email delivery, no private-network fetches and
  // an external database, unless the operator opts in to each by name.
  const PRODUCTION = {
    NODE_ENV: 'production',
    SECRET_KEY: SECRET,
    ISSUER: 'https://id.example.com',
    SMTP_URL: 'smtp://mail.example.com',
    DATABASE_URL: 'postgres://db.example.com/gatehouse',
  };
  it.each([
    [
      'an http:// issuer',
      { ISSUER: 'http://id.example.com' },
      /^ISSUER: must be an https:\/\/ URL/,
      'http-issuer',
    ],
    ['no SMTP_URL', { SMTP_URL: undefined }, /^SMTP_URL: required when NODE_ENV=production/, undefined],
    [
      'private-network fetches',
      { ALLOW_PRIVATE_NETWORK_FETCH: 'true' },
      /^ALLOW_PRIVATE_NETWORK_FETCH: /,
      'private-network-fetch',
    ],
    [
      'the embedded database',
      { DATABASE_URL: undefined },
      /^DATABASE_URL: required when NODE_ENV=production/,
      'embedded-database',
    ],
  ])('refuses %s in production, unless opted in', (_, change, message, optIn) => {
    const env = { ...PRODUCTION, DATA_DIR: dataDir, ...change };
    expect(() => loadSettings(env)).toThrow(message);
    const allowed = optIn ? { ALLOW_IN_PRODUCTION: optIn } : { EMAIL_DELIVERY: 'outbox' };
    expect(loadSettings({ ...env, ...allowed }).nodeEnv).toBe('production');
  });

  it('reads TRUSTED_PROXIES, maps the deprecated TRUST_PROXY to private networks, refuses nonsense', () => {
    expect(load({}).trustedProxies).toEqual([]);
    expect(load({ TRUSTED_PROXIES: '10.0.0.0/8, 192.168.1.7' }).trustedProxies).toEqual([
      '10.0.0.0/8',
      '192.168.1.7',
    ]);
    const legacy = load({ TRUST_PROXY: 'true' });
    expect(legacy.trustedProxies).toEqual(['loopback', 'linklocal', 'uniquelocal']);
    expect(legacy.startupWarnings.join(' ')).toMatch(/TRUST_PROXY is deprecated/);
    expect(() => load({ TRUSTED_PROXIES: '10.0.0.0/99' })).toThrow(/^TRUSTED_PROXIES: /);
  });

  it('has a setting per rate limit: count/seconds or off', () => {
    expect(load({}).rateLimits.SIGN_IN_FAILURES_PER_IP).toEqual({ limit: 20, windowSeconds: 600 });
    const tuned = load({
      RATE_LIMIT_SIGN_IN_FAILURES_PER_IP: '5/60',
      RATE_LIMIT_TOKEN_ENDPOINT_PER_CLIENT: 'off',
    });
    expect(tuned.rateLimits.SIGN_IN_FAILURES_PER_IP).toEqual({ limit: 5, windowSeconds: 60 });
    expect(tuned.rateLimits.TOKEN_ENDPOINT_PER_CLIENT).toBeNull();
    expect(() => load({ RATE_LIMIT_EMAIL_CODE_PER_IP: 'lots' })).toThrow(/^RATE_LIMIT_EMAIL_CODE_PER_IP: /);
  });

  it('generates a development secret once, private to its owner, and keeps it across starts', () => {
    const first = loadSettings({ NODE_ENV: 'development', DATA_DIR: dataDir });
    const file = join(dataDir, 'secret-key');
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(first.secretKey.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(file, 'utf8').trim()).toBe(first.secretKey);
    expect(loadSettings({ NODE_ENV: 'development', DATA_DIR: dataDir }).secretKey).toBe(first.secretKey);
  });
});
