import { readFileSync } from 'node:fs';
import { enableCompileCache } from 'node:module';
import { Command, CommanderError } from 'commander';
import { registerAuditCommands } from './cli/audit-commands.ts';
import { registerClientCommands } from './cli/client-commands.ts';
import { registerDbCommands } from './cli/db-commands.ts';
import { registerDoctor } from './cli/doctor.ts';
import { checkRequiredOptions, describeFailure, failureText, usageLine } from './cli/errors.ts';
import { registerKeyCommands } from './cli/key-commands.ts';
import { registerMigrate } from './cli/migrate.ts';
import { registerProviderCommands } from './cli/provider-commands.ts';
import type { Env } from './cli/runtime.ts';
import { registerServe } from './cli/serve.ts';
import { registerUserCommands } from './cli/user-commands.ts';

const ENVIRONMENT_HELP = `
Settings come from the environment (every one: docs/configuration.md):
  DATABASE_URL   PostgreSQL to use, postgres://user:password@host:5432/db; unset: an embedded
                 PostgreSQL that the first command creates under DATA_DIR
  DATA_DIR       where the embedded database and the development SECRET_KEY live (default ./data)
  SECRET_KEY     encrypts secrets and keys at rest (required when NODE_ENV=production)
  ISSUER         the public URL of this Gatehouse (printed links use it)

Every command takes --json: its result on stdout as JSON; a failure on stderr as
{"error":{"code":"…","message":"…"}}; the exit status is 0 on success, 1 when refused, 2 on a usage error.
Check a deployment with \`gatehouse doctor\`.`;

/** `gatehouse …`: the operator's command. Each command parses its flags, calls a service, prints. */
export function buildProgram(env: Env, json = false): Command {
  const program = new Command('gatehouse')
    .description('Gatehouse, an OpenID Connect provider for back-office users')
    .version(packageVersion())
    .addHelpText('after', ENVIRONMENT_HELP)
    // Set before the subcommands are added: they inherit all three. A typo is answered with the
    // nearest option or command; under --json the error is printed once, as JSON, by `run`.
    .exitOverride()
    .showSuggestionAfterError()
    .configureOutput({
      outputError: (message, write) => {
        if (!json) write(`gatehouse: ${usageLine(message)}\n`);
      },
    })
    .hook('preAction', checkRequiredOptions);
  registerServe(program, env);
  registerMigrate(program, env);
  registerDbCommands(program, env);
  registerDoctor(program, env);
  registerUserCommands(program, env);
  registerClientCommands(program, env);
  registerProviderCommands(program, env);
  registerKeyCommands(program, env);
  registerAuditCommands(program, env);
  return program;
}

/** Runs one command line and answers the exit status; a failure prints one line on stderr. */
export async function run(argv: string[], env: Env): Promise<number> {
  const json = argv.slice(2).includes('--json');
  try {
    await buildProgram(env, json).parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and the version end the same way as an error does, with status 0.
      if (error.exitCode === 0) return 0;
      // Plain text: commander has printed it already through `outputError`.
      if (json && !isHelp(error)) process.stderr.write(failureText(describeFailure(error), true));
      return describeFailure(error).exitCode;
    }
    const failure = describeFailure(error);
    process.stderr.write(failureText(failure, json));
    return failure.exitCode;
  }
}

/** `gatehouse` alone, or `gatehouse user`, prints the help on stderr: not an error to report again. */
function isHelp(error: CommanderError): boolean {
  return error.code === 'commander.help' || error.code === 'commander.helpDisplayed';
}

export async function main(argv: string[] = process.argv, env: Env = process.env): Promise<void> {
  // Every run loads the provider, knex and their TypeScript callers anew; Node's on-disk cache of
  // compiled (and type-stripped) modules takes about a third off each later run's start-up.
  enableCompileCache();
  const status = await run(argv, env);
  // A failure exits at once: its line is written, and a half-built server must not keep the process
  // alive. Success ends on its own: `serve` keeps running, the other commands have closed everything.
  if (status !== 0) process.exit(status);
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version?: string;
  };
  return pkg.version ?? '0.0.0';
}

if (import.meta.main) await main();
