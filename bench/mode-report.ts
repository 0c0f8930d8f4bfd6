import { type Row, ratios } from './report.ts';
import type { ScaleChecks, SeedReport } from './scale.ts';
import type { SoakReport } from './soak.ts';

export interface Degradation {
  scenario: string;
  /** GH/bare throughput at scale against the empty database (1.0 = unchanged). */
  ratioChange: number;
  /** Gatehouse p99 at scale against the empty database. */
  p99Change: number;
  /** Issue 15: neither may degrade by more than 20%. */
  withinTwentyPercent: boolean;
}

export function compareToEmpty(empty: Row[], scaled: Row[]): Degradation[] {
  const before = new Map(ratios(empty).map((r) => [r.scenario, r]));
  return ratios(scaled).flatMap((after) => {
    const was = before.get(after.scenario);
    const p99 = (rows: Row[]) =>
      rows.find((r) => r.scenario === after.scenario && r.target === 'gatehouse')?.p99;
    const [p99Before, p99After] = [p99(empty), p99(scaled)];
    if (!was || p99Before === undefined || p99After === undefined) return [];
    const ratioChange = after.throughput / was.throughput;
    const p99Change = p99After / Math.max(p99Before, 1);
    return [
      {
        scenario: after.scenario,
        ratioChange,
        p99Change,
        withinTwentyPercent: ratioChange >= 0.8 && p99Change <= 1.2,
      },
    ];
  });
}

export function printScale(seed: SeedReport, checks: ScaleChecks, degradation: Degradation[]): void {
  console.log('');
  console.log(
    `Scale ×${seed.factor}: ${seed.users} users, ${seed.payloads} token/session rows, ${seed.clients} clients ` +
      `seeded in ${seed.seconds.toFixed(0)} s; database ${(seed.databaseBytes / 1048576).toFixed(0)} MB.`,
  );
  for (const d of degradation) {
    console.log(
      `  ${d.scenario.padEnd(20)} GH/bare ×${d.ratioChange.toFixed(2)}, p99 ×${d.p99Change.toFixed(2)} against the empty database` +
        (d.withinTwentyPercent ? '' : '  ! more than 20% worse'),
    );
  }
  console.log(
    `  EXPLAIN of ${checks.explained} distinct statements sent during the run: ` +
      (checks.seqScans.length ? `${checks.seqScans.length} with a sequential scan:` : 'no sequential scan.'),
  );
  for (const line of checks.seqScans) console.log(`    ${line}`);
  const { email, name } = checks.userSearchMs;
  console.log(
    `  Console user search: ${email.toFixed(0)} ms by email, ${name.toFixed(0)} ms by name (target < 100 ms).`,
  );
  const purged = Object.values(checks.purge.rows).reduce((a, b) => a + b, 0);
  console.log(`  Purge: ${purged} expired rows in ${checks.purge.seconds.toFixed(1)} s.`);
}

export function printSoak(soak: SoakReport): void {
  const first = soak.samples[1];
  const last = soak.samples.at(-1);
  const start = soak.samples[0];
  console.log('');
  console.log(
    `Soak: ${soak.minutes} min at ${soak.ratePerSecond.toFixed(0)}/s mixed (half of ~${soak.saturationPerSecond.toFixed(0)}/s); errors: ${soak.errors}${soak.errors ? '  ! must be 0' : ''}`,
  );
  for (const [label, s] of [
    ['first minute', first],
    ['last minute', last],
  ] as const) {
    if (!s) continue;
    const cells = s.scenarios.map((r) => `${r.scenario} p50 ${r.p50} / p99 ${r.p99} ms`).join('; ');
    console.log(`  ${label}: ${cells}`);
  }
  console.log(`  RSS ${start?.rssMb} MB at start, ${last?.rssMb} MB at the end`);
  console.log(`  database connections ${start?.dbConnections} at start, ${last?.dbConnections} at the end`);
  console.log(
    `  oidc_payloads ${start?.payloadRows} rows / ${start?.payloadMb} MB at start, ${last?.payloadRows} rows / ${last?.payloadMb} MB at the end (purge every 30 s)`,
  );
}
