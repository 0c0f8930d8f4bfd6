import { type Command, Option } from 'commander';
import type { KeyInfo } from '../oidc/signing-keys.ts';
import { auditCli } from './audit.ts';
import { type OutputOptions, print, table, when } from './output.ts';
import { type Env, withGatehouse } from './runtime.ts';

interface KeyView extends KeyInfo {
  status: 'active' | 'retired';
}

export function registerKeyCommands(program: Command, env: Env): void {
  const keys = program.command('keys').description('manage the signing keys of ID tokens');

  keys
    .command('rotate')
    .description('add new signing keys; the old ones stay published until tokens they signed expire')
    .addOption(new Option('--json', 'print machine-readable JSON'))
    .action((flags: OutputOptions) =>
      withGatehouse(env, async (g) => {
        const published = (await g.keys.rotate()).map(keyView);
        await auditCli(g, {
          action: 'keys.rotate',
          target: { type: 'keys', id: 'signing' },
          after: { kids: published.map((k) => ({ kid: k.kid, status: k.status })) },
        });
        const interval = g.settings.keysRefreshIntervalSeconds;
        print(flags, published, () =>
          [
            keyTable(published),
            '',
            `Running servers sign with the new keys within ${interval} s (KEYS_REFRESH_INTERVAL_SECONDS).`,
          ].join('\n'),
        );
      }),
    );

  keys
    .command('list')
    .description('list the published signing keys')
    .addOption(new Option('--json', 'print machine-readable JSON'))
    .action((flags: OutputOptions) =>
      withGatehouse(env, async (g) => {
        const published = (await g.keys.list()).map(keyView);
        print(flags, published, () => keyTable(published) || 'No signing keys yet.');
      }),
    );
}

function keyView(key: KeyInfo): KeyView {
  return { ...key, status: key.retiredAt ? 'retired' : 'active' };
}

function keyTable(keys: KeyView[]): string {
  return table(
    ['KID', 'ALG', 'STATUS', 'CREATED', 'UNPUBLISHED AFTER'],
    keys.map((k) => [k.kid, k.alg, k.status, when(k.createdAt), when(k.expiresAt)]),
  );
}
