import { loadSettings, type Settings, SettingsError } from '../config/settings.ts';
import type { Gatehouse } from '../container.ts';
import { createLogger, type Logger } from '../operations/logger.ts';

export type Env = NodeJS.ProcessEnv;

/** Bad flags or arguments, found before any service is called. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Exit statuses: 1 when a service or the environment refuses, 2 when the command line is wrong. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/**
 * The server's settings, with a logger fit for a one-shot command: warnings and worse only unless
 * LOG_LEVEL says otherwise, written to stderr so that stdout carries nothing but the command's output.
 */
export function commandSettings(env: Env): { settings: Settings; logger: Logger } {
  const settings = loadSettings(env);
  const logLevel = env.LOG_LEVEL ? settings.logLevel : 'warn';
  return { settings, logger: createLogger({ logLevel }, process.stderr) };
}

/** Builds the same container as the server, runs `work` with it, and always closes it. */
export async function withGatehouse<T>(env: Env, work: (gatehouse: Gatehouse) => Promise<T>): Promise<T> {
  const { settings, logger } = commandSettings(env);
  // Loaded on demand (most of the command's start-up time): help and usage errors answer at once.
  const { createContainer } = await import('../container.ts');
  const gatehouse = await reachDatabase(settings, () => createContainer(settings, { logger }));
  try {
    return await work(gatehouse);
  } finally {
    await gatehouse.close();
  }
}

/** Runs the first database work of a command; a connection failure becomes a message naming the setting. */
export async function reachDatabase<T>(settings: Settings, open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (error) {
    if (settings.databaseUrl && isConnectionError(error)) {
      throw new SettingsError(
        `DATABASE_URL: cannot connect to ${redactedUrl(settings.databaseUrl)}: ${firstLine(error)}`,
      );
    }
    throw error;
  }
}

// Network failures, and PostgreSQL's classes 08 (connection), 28 (authorisation) and 3D (no such database).
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH']);
const SQLSTATE_CLASSES = ['08', '28', '3D'];

function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'KnexTimeoutError') return true;
  const code = (error as Error & { code?: unknown }).code;
  if (typeof code !== 'string') return false;
  return NETWORK_CODES.has(code) || (code.length === 5 && SQLSTATE_CLASSES.includes(code.slice(0, 2)));
}

/** The URL without its credentials: the message may end up in a terminal log or a ticket. */
function redactedUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/** A failure's message as the operator should read it: a setting's own wording, or the first line. */
export function describeError(error: unknown): string {
  return error instanceof SettingsError ? error.message : firstLine(error);
}

/** Stack traces and multi-line driver messages are for logs, not for the operator's terminal. */
export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message || error.name : String(error);
  return text.split('\n')[0]?.trim() || 'unexpected error';
}
