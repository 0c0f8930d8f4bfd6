import { type Command, Option } from 'commander';
import { keyJson } from '../api/admin/admin-json.ts';
import { auditCli } from './audit.ts';
import { type OutputOptions, print, table } from './output.ts';

/** An ISO time to the second, as the other commands print times. */
function second(iso: string | null): string {
  return iso ? iso.replace(/\.\d{3}Z$/, 'Z') : '-';
}

import { type Env, withGatehouse } from './runtime.ts';

/** A key as `GET /api/admin/v1/keys` shows it. */
type KeyView = ReturnType<typeof keyJson>;

export function registerKeyCommands(program: Command, env: Env): void {
  const keys = program.command('keys').description('manage the signing keys of ID tokens');

  keys
    .command('rotate')
    .description('add new signing keys; the old ones stay published until tokens they signed expire')
    .addOption(new Option('--json', 'print machine-readable JSON'))
    .action((flags: OutputOptions) =>
      withGatehouse(env, async (g) => {
        const rotated = await g.keys.rotate();
        const published = rotated.map(keyJson);
        // The same details as the admin API's rotation records.
        await auditCli(g, {
          action: 'keys.rotate',
          target: { type: 'keys', id: 'signing' },
          after: { kids: rotated.map((k) => k.kid) },
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
        const published = (await g.keys.list()).map(keyJson);
        print(flags, published, () => keyTable(published) || 'No signing keys yet.');
      }),
    );
}

function keyTable(keys: KeyView[]): string {
  return table(
    ['KID', 'ALG', 'STATE', 'CREATED', 'UNPUBLISHED AFTER'],
    keys.map((k) => [k.kid, k.alg, k.state, second(k.createdAt), second(k.expiresAt)]),
  );
}
