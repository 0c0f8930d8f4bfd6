import { readFileSync } from 'node:fs';
import { enableCompileCache } from 'node:module';
import { Command, CommanderError } from 'commander';
import { registerClientCommands } from './cli/client-commands.ts';
import { registerDbCommands } from './cli/db-commands.ts';
import { registerKeyCommands } from './cli/key-commands.ts';
import { registerMigrate } from './cli/migrate.ts';
import { registerProviderCommands } from './cli/provider-commands.ts';
import { describeFailure, type Env, EXIT_USAGE } from './cli/runtime.ts';
import { registerServe } from './cli/serve.ts';
import { registerUserCommands } from './cli/user-commands.ts';

/** `gatehouse …`: the operator's command. Each command parses its flags, calls a service, prints. */
export function buildProgram(env: Env): Command {
  const program = new Command('gatehouse')
    .description('Gatehouse, an OpenID Connect provider for back-office users')
    .version(packageVersion())
    // Set before the subcommands are added: they inherit both.
    .exitOverride()
    .configureOutput({ outputError: (message, write) => write(`gatehouse: ${usageLine(message)}\n`) });
  registerServe(program, env);
  registerMigrate(program, env);
  registerDbCommands(program, env);
  registerUserCommands(program, env);
  registerClientCommands(program, env);
  registerProviderCommands(program, env);
  registerKeyCommands(program, env);
  return program;
}

/** Runs one command line and answers the exit status; failures print one line on stderr. */
export async function run(argv: string[], env: Env): Promise<number> {
  try {
    await buildProgram(env).parseAsync(argv);
    return 0;
  } catch (error) {
    // Commander has already printed its message (or the help) through `outputError`.
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE;
    const { message, exitCode } = describeFailure(error);
    process.stderr.write(`gatehouse: ${message}\n`);
    return exitCode;
  }
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

/** Commander says "error: …" and may add a suggestion on a second line; the command prints one line. */
function usageLine(message: string): string {
  return message
    .replace(/^error: /, '')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version?: string;
  };
  return pkg.version ?? '0.0.0';
}

if (import.meta.main) await main();
