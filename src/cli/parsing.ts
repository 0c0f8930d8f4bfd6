import { readFile } from 'node:fs/promises';
import { InvalidArgumentError } from 'commander';
import type { JWKS } from 'oidc-provider';
import { emailProblem, groupsProblem, normaliseEmail } from '../users/user-fields.ts';
import { UsageError } from './runtime.ts';

/** Argument parser for a repeatable option (`--group a --group b`); unset stays `undefined`. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `collect`, refusing values outside `choices` with commander's usual one-line message. */
export function collectChoice<T extends string>(choices: readonly T[]) {
  return (value: string, previous: T[] | undefined): T[] => {
    if (!isChoice(choices, value)) {
      throw new InvalidArgumentError(`Allowed choices are ${choices.join(', ')}.`);
    }
    return [...(previous ?? []), value];
  };
}

export function choice<T extends string>(choices: readonly T[]) {
  return (value: string): T => {
    if (!isChoice(choices, value)) {
      throw new InvalidArgumentError(`Allowed choices are ${choices.join(', ')}.`);
    }
    return value;
  };
}

function isChoice<T extends string>(choices: readonly T[], value: string): value is T {
  return (choices as readonly string[]).includes(value);
}

/** The domain's rule, as the admin API and the console apply it, checked before anything is opened. */
export function requireEmail(flag: string, value: string): string {
  const address = normaliseEmail(value);
  const problem = emailProblem(address);
  if (problem) throw new UsageError(`${flag}: "${value}" is not an email address: ${problem}`);
  return address;
}

export function requireGroups(groups: string[]): string[] {
  const problem = groupsProblem(groups.map((g) => g.trim()));
  if (problem) throw new UsageError(`--group: ${problem.message}`);
  return groups;
}

/**
 * `--password -` and `--secret -` read the value from the first line of stdin, so that it appears
 * neither in the shell history nor in the process list.
 */
export async function secretArg(value: string | undefined): Promise<string | undefined> {
  if (value !== '-') return value;
  const line = (await readStdin()).split(/\r?\n/)[0] ?? '';
  if (!line) throw new UsageError('expected the value on stdin, found nothing');
  return line;
}

/** `--jwks FILE` or `--jwks -` (stdin): a JSON Web Key Set, checked for its shape here and by oidc-provider later. */
export async function jwksArg(value: JWKS | string | false | undefined): Promise<JWKS | false | undefined> {
  if (typeof value !== 'string') return value;
  let text: string;
  try {
    text = value === '-' ? await readStdin() : await readFile(value, 'utf8');
  } catch {
    throw new UsageError(`--jwks: cannot read ${value}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError('--jwks: not JSON');
  }
  if (!parsed || typeof parsed !== 'object' || !Array.isArray((parsed as { keys?: unknown }).keys)) {
    throw new UsageError('--jwks: expected a JSON Web Key Set, {"keys": [...]}');
  }
  return parsed as JWKS;
}

async function readStdin(): Promise<string> {
  let input = '';
  for await (const chunk of process.stdin) input += String(chunk);
  return input;
}

/** A whole number of seconds, one second to one year. */
export function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 365 * 24 * 3600) {
    throw new InvalidArgumentError('Give a whole number of seconds, from 1 to 31536000.');
  }
  return n;
}
