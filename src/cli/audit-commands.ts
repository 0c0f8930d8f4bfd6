import { type Command, InvalidArgumentError, Option } from 'commander';
import { auditEventJson } from '../api/admin/admin-json.ts';
import type { Gatehouse } from '../container.ts';
import { AppError } from '../errors/app-error.ts';
import { type OutputOptions, print, table } from './output.ts';
import { type Env, withGatehouse } from './runtime.ts';

interface ListFlags extends OutputOptions {
  user?: string;
  actor?: string;
  type?: string;
  from?: Date;
  to?: Date;
  limit: number;
}

/** `gatehouse audit list`: what `GET /api/admin/v1/audit-events` answers, with the same filters and names. */
export function registerAuditCommands(program: Command, env: Env): void {
  program
    .command('audit')
    .description('read the audit log')
    .command('list')
    .description('audit events, newest first')
    .option('--user <id-or-email>', 'events about this user')
    .option('--actor <id>', 'events by this actor: a user id, a client id, or the OS user of a command')
    .option('--type <name>', 'events of this type, such as UserLocked or AdminAction')
    .option('--from <time>', 'events at or after this time (ISO 8601)', isoTime)
    .option('--to <time>', 'events before this time (ISO 8601)', isoTime)
    .option('--limit <n>', 'at most this many events (default 50, at most 1000)', limit, 50)
    .addOption(new Option('--json', 'print machine-readable JSON'))
    .action((flags: ListFlags) => withGatehouse(env, (g) => listEvents(g, flags)));
}

async function listEvents(g: Gatehouse, flags: ListFlags): Promise<void> {
  const affectedUserId = flags.user ? await userId(g, flags.user) : undefined;
  const events = (
    await g.audit.list({
      affectedUserId,
      actorId: flags.actor,
      type: flags.type,
      from: flags.from,
      to: flags.to,
      limit: flags.limit,
    })
  ).map(auditEventJson);
  print(
    flags,
    events,
    () =>
      table(
        ['AT', 'TYPE', 'ACTOR', 'USER', 'WHAT'],
        events.map((e) => [
          e.at.replace(/\.\d{3}Z$/, 'Z'),
          e.type,
          e.actor ? `${e.actor.kind}:${e.actor.id}` : '-',
          e.affectedUserId ?? '-',
          typeof e.details.action === 'string' ? e.details.action : '',
        ]),
      ) || 'No audit events.',
  );
}

async function userId(g: Gatehouse, ref: string): Promise<string> {
  if (/^[0-9a-f-]{36}$/i.test(ref)) return ref;
  const user = await g.userManager.findByEmail(ref);
  if (!user) throw new AppError('not_found', `No user "${ref}".`);
  return user.id;
}

function isoTime(value: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime()))
    throw new InvalidArgumentError('Give a time such as 2026-01-31T12:00:00Z.');
  return date;
}

function limit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000)
    throw new InvalidArgumentError('Give a whole number from 1 to 1000.');
  return n;
}
