import type { Gatehouse } from '../container.ts';
import { type AdminAction, cliActor } from '../notifications/admin-audit.ts';

/** Records a change made from the command line, with `cli` and the OS user as the actor. */
export function auditCli(g: Pick<Gatehouse, 'adminAudit'>, action: AdminAction): Promise<void> {
  return g.adminAudit.record(cliActor(), action);
}
