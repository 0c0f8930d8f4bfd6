// `npm run bench`: Gatehouse on PostgreSQL against a bare oidc-provider, same load, same machine.
// See bench/README.md for how to read the output.
import { cpus } from 'node:os';
import argon2 from 'argon2';
import { ARGON2_OPTIONS } from '../src/users/password-hasher.ts';
import { startBareProvider } from './bare-provider.ts';
import { HttpClient, signIn } from './browser-flow.ts';
import { createBenchDatabase } from './database.ts';
import {
  type BenchUser,
  benchUsers,
  discoverEndpoints,
  PASSWORD,
  type Target,
  WEB_CLIENT,
} from './fixtures.ts';
import { startGatehouseTarget } from './gatehouse-target.ts';
import { runLoad } from './load.ts';
import { type Argon2Cost, describeMachine, printTable, type Row, toRow, writeJson } from './report.ts';
import { type BenchSettings, SCENARIOS, type Scenario, type TargetContext } from './scenarios.ts';

function readSettings(): BenchSettings {
  const int = (name: string, fallback: number, max: number): number => {
    const value = Number(process.env[name] ?? fallback);
    if (!Number.isInteger(value) || value < 1 || value > max) throw new Error(`${name}: 1 to ${max}`);
    return value;
  };
  // The caps keep a run bounded whatever is set: 12 runs × 10 s plus set-up stays under 3 minutes.
  return {
    connections: int('BENCH_CONNECTIONS', 16, 64),
    seconds: int('BENCH_SECONDS', 5, 10),
    warmupSeconds: 1,
    refreshPool: int('BENCH_REFRESH_POOL', 1500, 5000),
  };
}

/** BENCH_SCENARIOS=userinfo,refresh_token runs only those, in the usual order. */
function selectedScenarios(): Scenario[] {
  const wanted = process.env.BENCH_SCENARIOS?.split(',').map((s) => s.trim());
  if (!wanted) return SCENARIOS;
  const unknown = wanted.filter((w) => !SCENARIOS.some((s) => s.name === w));
  if (unknown.length) throw new Error(`BENCH_SCENARIOS: unknown ${unknown.join(', ')}`);
  return SCENARIOS.filter((s) => wanted.includes(s.name));
}

async function prepare(target: Target, users: BenchUser[], http: HttpClient): Promise<TargetContext> {
  const endpoints = await discoverEndpoints(target.issuer);
  const flow = { authorization: endpoints.authorization, token: endpoints.token, client: WEB_CLIENT };
  const emails = users.map((u) => u.email);
  const { access_token: accessToken } = await signIn(http, flow, emails[0] ?? '');
  return { target, endpoints, flow, emails, accessToken, http };
}

async function measure(scenario: Scenario, ctx: TargetContext, settings: BenchSettings): Promise<Row> {
  process.stdout.write(`  ${scenario.name.padEnd(20)} ${ctx.target.name.padEnd(9)} `);
  const job = await scenario.job(ctx, settings);
  if (scenario.warmup) await runLoad({ ...job, seconds: settings.warmupSeconds });
  const before = ctx.target.queries?.();
  const result = await runLoad(job);
  const after = ctx.target.queries?.();
  const row = toRow(scenario, ctx.target.name, result, queriesPerUnit(before, after, result.completed));
  console.log(`${row.perSecond.toFixed(0)}/s${row.errors ? ` (${row.errors} failures)` : ''}`);
  return row;
}

/** Database round trips per request (per sign-in for the flow scenario), over the measured run. */
function queriesPerUnit(before: number | undefined, after: number | undefined, completed: number) {
  return before === undefined || after === undefined || completed === 0
    ? undefined
    : (after - before) / completed;
}

/** Time for one argon2id verification at Gatehouse's parameters, measured here, on this machine. */
async function measureArgon2(): Promise<Argon2Cost> {
  const hash = await argon2.hash(PASSWORD, ARGON2_OPTIONS);
  await argon2.verify(hash, PASSWORD);
  const rounds = 10;
  const started = performance.now();
  for (let i = 0; i < rounds; i++) await argon2.verify(hash, PASSWORD);
  const msPerVerify = (performance.now() - started) / rounds;
  const { memoryCost, timeCost, parallelism } = ARGON2_OPTIONS;
  return {
    parameters: `m=${memoryCost} KiB, t=${timeCost}, p=${parallelism}`,
    msPerVerify,
    ceilingPerSecond: (cpus().length * 1000) / msPerVerify,
  };
}

async function main(): Promise<void> {
  const settings = readSettings();
  const users = benchUsers(settings.connections);
  const machine = describeMachine();
  const started = performance.now();
  console.log('Starting Gatehouse (PostgreSQL) and a bare oidc-provider (memory)…');
  const db = await createBenchDatabase();
  const targets: Target[] = [];
  const http = new HttpClient(settings.connections);
  try {
    targets.push(await startGatehouseTarget(db.url, users));
    targets.push(await startBareProvider(users));
    const contexts = await Promise.all(targets.map((t) => prepare(t, users, http)));
    const argon = await measureArgon2();
    const rows: Row[] = [];
    for (const scenario of selectedScenarios()) {
      for (const ctx of contexts) rows.push(await measure(scenario, ctx, settings));
    }
    const report = { machine, settings, argon2: argon, rows };
    printTable(report);
    const seconds = ((performance.now() - started) / 1000).toFixed(0);
    console.log(`Written to ${writeJson(report)} in ${seconds} s.`);
  } finally {
    http.close();
    for (const target of targets.reverse()) await target.stop();
    await db.drop();
  }
}

await main();
