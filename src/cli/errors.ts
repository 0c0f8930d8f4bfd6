import { type Command, CommanderError, type Option } from 'commander';
import { SettingsError } from '../config/settings.ts';
import { AppError } from '../errors/app-error.ts';
import { EXIT_FAILURE, EXIT_USAGE, firstLine, UsageError } from './runtime.ts';

/**
 * How a failure is reported. Always on stderr, so that stdout carries only a command's result and
 * `gatehouse … --json | jq` never mistakes an error for data; the exit status is never 0.
 * Plain: `gatehouse: <message>`. With `--json`: `{"error":{"code":"…","message":"…"}}` on one line.
 */
export interface Failure {
  code: string;
  message: string;
  exitCode: number;
}

/** `gatehouse doctor` found something wrong: it has printed its report, this is the closing line. */
export class ChecksFailed extends Error {
  override name = 'ChecksFailed';
  constructor(failed: number, total: number) {
    super(`${failed} of ${total} checks failed`);
  }
}

/** The code, one-line message and exit status of anything a command threw. */
export function describeFailure(error: unknown): Failure {
  if (error instanceof CommanderError) {
    return { code: commanderCode(error.code), message: usageLine(error.message), exitCode: EXIT_USAGE };
  }
  if (error instanceof ChecksFailed)
    return { code: 'checks_failed', message: error.message, exitCode: EXIT_FAILURE };
  if (error instanceof UsageError) return { code: 'usage', message: error.message, exitCode: EXIT_USAGE };
  if (error instanceof SettingsError) {
    return { code: 'settings', message: error.message, exitCode: EXIT_FAILURE };
  }
  if (error instanceof AppError) return { code: error.code, message: error.message, exitCode: EXIT_FAILURE };
  return { code: 'failed', message: firstLine(error), exitCode: EXIT_FAILURE };
}

export function failureText(failure: Failure, json: boolean): string {
  return json
    ? `${JSON.stringify({ error: { code: failure.code, message: failure.message } })}\n`
    : `gatehouse: ${failure.message}\n`;
}

/** `commander.unknownOption` → `unknown_option`: the same style as the service's codes. */
function commanderCode(code: string): string {
  return code
    .replace(/^commander\./, '')
    .replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
    .replace(/^missing_mandatory_option_value$/, 'missing_option');
}

/** Commander says "error: …" and may add a suggestion on a second line; the command prints one line. */
export function usageLine(message: string): string {
  return message
    .replace(/^error: /, '')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
}

const REQUIRED = new WeakSet<Option>();

/**
 * A required option, checked after commander has looked for unknown options (see
 * `checkRequiredOptions`): commander's own `requiredOption` is checked first, so `--emali x`
 * was reported as "--email missing" rather than as the typo it is.
 */
export function required(option: Option): Option {
  REQUIRED.add(option);
  option.description = `${option.description} (required)`;
  return option;
}

/** The `preAction` hook of the program: commander runs it after the unknown-option check. */
export function checkRequiredOptions(_program: Command, command: Command): void {
  for (const option of command.options) {
    if (REQUIRED.has(option) && command.getOptionValue(option.attributeName()) === undefined) {
      command.error(`error: required option '${option.flags}' not specified`, {
        code: 'commander.missingMandatoryOptionValue',
        exitCode: EXIT_USAGE,
      });
    }
  }
}
