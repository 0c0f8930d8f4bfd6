import type { Gatehouse } from '../src/container.ts';
import { runLoad } from './load.ts';
import { type BenchSettings, SCENARIOS, type TargetContext } from './scenarios.ts';

/** The mix a soak runs, as shares of the total rate: machine tokens, and resource servers' checks. */
const MIX = [
  { scenario: 'client_credentials', share: 0.5 },
  { scenario: 'introspection', share: 0.25 },
  { scenario: 'userinfo', share: 0.25 },
];

export interface SoakSample {
  minute: number;
  scenarios: Array<{ scenario: string; completed: number; p50: number; p99: number; errors: number }>;
  rssMb: number;
  dbConnections: number;
  payloadRows: number;
  payloadMb: number;
}

export interface SoakReport {
  minutes: number;
  saturationPerSecond: number;
  ratePerSecond: number;
  errors: number;
  samples: SoakSample[];
}

/**
 * `npm run bench -- --soak [minutes]`: client_credentials' saturation is measured first; then the
 * mix runs at half that rate, a minute at a time, with the maintenance loop purging every 30 s.
 * After each minute: latencies, errors, this process's RSS (Gatehouse runs in it; the load
 * generators are child processes), the database's connections and the size of `oidc_payloads`.
 */
export async function runSoak(
  ctx: TargetContext,
  gatehouse: Gatehouse,
  minutes: number,
  settings: BenchSettings,
): Promise<SoakReport> {
  const saturation = await measureSaturation(ctx, settings);
  const rate = Math.max(3, saturation / 2);
  console.log(
    `Soak: saturation ~${saturation.toFixed(0)}/s (client_credentials); ${rate.toFixed(0)}/s mixed for ${minutes} min`,
  );
  const samples: SoakSample[] = [await sample(gatehouse, 0, [])];
  for (let minute = 1; minute <= minutes; minute++) {
    const results = await Promise.all(
      MIX.map(async ({ scenario, share }) => {
        const job = await scenarioJob(scenario, ctx, settings);
        const connections = Math.max(1, Math.round(settings.connections * share));
        const result = await runLoad({ ...job, connections, seconds: 60, rate: Math.max(1, rate * share) });
        return {
          scenario,
          completed: result.completed,
          p50: result.p50,
          p99: result.p99,
          errors: result.errors,
        };
      }),
    );
    const s = await sample(gatehouse, minute, results);
    samples.push(s);
    const line = results.map((r) => `${r.scenario} p50 ${r.p50} p99 ${r.p99} err ${r.errors}`).join('; ');
    console.log(
      `  minute ${minute}: ${line}; RSS ${s.rssMb} MB; ${s.dbConnections} connections; oidc_payloads ${s.payloadRows} rows`,
    );
  }
  const errors = samples.reduce((sum, s) => sum + s.scenarios.reduce((n, r) => n + r.errors, 0), 0);
  return { minutes, saturationPerSecond: saturation, ratePerSecond: rate, errors, samples };
}

async function scenarioJob(name: string, ctx: TargetContext, settings: BenchSettings) {
  const scenario = SCENARIOS.find((s) => s.name === name);
  if (!scenario) throw new Error(`no scenario ${name}`);
  const job = await scenario.job(ctx, settings);
  if (job.kind !== 'http') throw new Error(`${name} is not an HTTP scenario`);
  return job;
}

async function measureSaturation(ctx: TargetContext, settings: BenchSettings): Promise<number> {
  const job = await scenarioJob('client_credentials', ctx, settings);
  await runLoad({ ...job, seconds: 1 });
  const result = await runLoad({ ...job, seconds: 3 });
  return result.completed / result.seconds;
}

async function sample(
  gatehouse: Gatehouse,
  minute: number,
  scenarios: SoakSample['scenarios'],
): Promise<SoakSample> {
  const { rows } = await gatehouse.db.raw<{
    rows: Array<{ connections: string; payload_rows: string; payload_bytes: string }>;
  }>(
    `SELECT (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()) AS connections,
            (SELECT count(*) FROM oidc_payloads) AS payload_rows,
            pg_total_relation_size('oidc_payloads') AS payload_bytes`,
  );
  const row = rows[0];
  return {
    minute,
    scenarios,
    rssMb: Math.round(process.memoryUsage().rss / 1048576),
    dbConnections: Number(row?.connections ?? 0),
    payloadRows: Number(row?.payload_rows ?? 0),
    payloadMb: Math.round(Number(row?.payload_bytes ?? 0) / 104857.6) / 10,
  };
}
