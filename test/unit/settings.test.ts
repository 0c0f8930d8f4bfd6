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
    expect(loadSettings({ NODE_ENV: 'production', DATA_DIR: dataDir, SECRET_KEY: SECRET }).secretKey).toBe(
      SECRET,
    );
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
