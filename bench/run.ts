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
import { compareToEmpty, printScale, printSoak } from './mode-report.ts';
import { type Argon2Cost, describeMachine, printTable, type Row, toRow, writeJson } from './report.ts';
import { checkAtScale, seedPopulation } from './scale.ts';
import { type BenchSettings, SCENARIOS, type Scenario, type TargetContext } from './scenarios.ts';
import { runSoak } from './soak.ts';
import { startServeWorkers } from './workers.ts';

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

/**
 * argon2id at Gatehouse's parameters, measured here: one verification alone, and the ceiling, the
 * verifications per second that every core running nothing but argon2id reaches (as many at once
 * as there are cores, and as libuv's thread pool runs, whichever is faster). The ceiling is
 * measured rather than extrapolated from one verification: argon2id is memory-hard, so two at once
 * need not each run as fast as one alone, and on a virtual machine one verification's time varies
 * from run to run (22–29 ms on the 2-core machine this was written on).
 */
async function measureArgon2(): Promise<Argon2Cost> {
  const hash = await argon2.hash(PASSWORD, ARGON2_OPTIONS);
  await argon2.verify(hash, PASSWORD);
  const rounds = 10;
  const started = performance.now();
  for (let i = 0; i < rounds; i++) await argon2.verify(hash, PASSWORD);
  const msPerVerify = (performance.now() - started) / rounds;
  const threadPool = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  const parallel = [...new Set([cpus().length, threadPool])];
  const rates: number[] = [];
  for (const width of parallel) rates.push(await verificationsPerSecond(hash, width, 3000));
  const { memoryCost, timeCost, parallelism } = ARGON2_OPTIONS;
  return {
    parameters: `m=${memoryCost} KiB, t=${timeCost}, p=${parallelism}`,
    msPerVerify,
    extrapolatedPerSecond: (cpus().length * 1000) / msPerVerify,
    ceilingPerSecond: Math.max(...rates),
  };
}

async function verificationsPerSecond(hash: string, width: number, ms: number): Promise<number> {
  const started = performance.now();
  let done = 0;
  const lane = async () => {
    while (performance.now() - started < ms) {
      await argon2.verify(hash, PASSWORD);
      done++;
    }
  };
  await Promise.all(Array.from({ length: width }, lane));
  return (done * 1000) / (performance.now() - started);
}

type Mode = { kind: 'table' } | { kind: 'soak'; minutes: number } | { kind: 'scale'; factor: number };

/** `npm run bench [-- --soak [minutes] | --scale [factor]]`. */
function readMode(argv: string[]): Mode {
  const value = (flag: string, fallback: number, max: number): number => {
    const given = argv[argv.indexOf(flag) + 1];
    const n = given === undefined || given.startsWith('--') ? fallback : Number(given);
    if (!(n > 0 && n <= max)) throw new Error(`${flag}: a number up to ${max}`);
    return n;
  };
  if (argv.includes('--soak')) return { kind: 'soak', minutes: Math.round(value('--soak', 10, 24 * 60)) };
  if (argv.includes('--scale')) return { kind: 'scale', factor: value('--scale', 1, 1) };
  return { kind: 'table' };
}

async function main(): Promise<void> {
  const mode = readMode(process.argv.slice(2));
  const settings = readSettings();
  const users = benchUsers(settings.connections);
  const machine = describeMachine();
  const started = performance.now();
  const db = await createBenchDatabase();
  console.log(`Starting Gatehouse (PostgreSQL: ${db.server}) and a bare oidc-provider (memory)…`);
  const targets: Target[] = [];
  const http = new HttpClient(settings.connections);
  try {
    const env: Record<string, string> = mode.kind === 'soak' ? { PURGE_INTERVAL_SECONDS: '30' } : {};
    const gh = await startGatehouseTarget(db.url, users, env);
    targets.push(gh);
    if (mode.kind === 'soak') {
      const ctx = await prepare(gh, users, http);
      const soak = await runSoak(ctx, gh.gatehouse, mode.minutes, settings);
      printSoak(soak);
      console.log(
        `Written to ${writeJson({ machine, settings, argon2: await measureArgon2(), rows: [], database: db.server, extra: { soak } }, 'soak.json')}.`,
      );
      return;
    }
    targets.push(await startBareProvider(users));
    const contexts = await Promise.all(targets.map((t) => prepare(t, users, http)));
    const argon = await measureArgon2();
    const rows = await runTable(contexts, settings);
    const report = {
      machine,
      settings,
      argon2: argon,
      rows,
      database: db.server,
      extra: {} as Record<string, unknown>,
    };
    printTable(report);
    if (mode.kind === 'scale') {
      report.extra.scale = await runScale(gh, contexts, settings, rows, mode.factor);
    } else if (process.env.BENCH_WORKERS !== '0') {
      report.extra.workers = await compareWorkers(db.url, users, http, settings);
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(0);
    console.log(
      `Written to ${writeJson(report, mode.kind === 'scale' ? 'scale.json' : 'latest.json')} in ${seconds} s.`,
    );
  } finally {
    http.close();
    for (const target of targets.reverse()) await target.stop();
    await db.drop();
  }
}

async function runTable(contexts: TargetContext[], settings: BenchSettings): Promise<Row[]> {
  const rows: Row[] = [];
  for (const scenario of selectedScenarios()) {
    for (const ctx of contexts) rows.push(await measure(scenario, ctx, settings));
  }
  return rows;
}

/** The scenarios that need no browser, against `gatehouse serve --workers 1` and `--workers 2`. */
const WORKER_SCENARIOS = ['client_credentials', 'userinfo'];

async function compareWorkers(
  databaseUrl: string,
  users: BenchUser[],
  http: HttpClient,
  settings: BenchSettings,
) {
  const rows: Row[] = [];
  for (const workers of [1, 2]) {
    const target = await startServeWorkers(databaseUrl, workers);
    try {
      const ctx = await prepare(target, users, http);
      for (const scenario of SCENARIOS.filter((s) => WORKER_SCENARIOS.includes(s.name))) {
        rows.push(await measure(scenario, ctx, settings));
      }
    } finally {
      await target.stop();
    }
  }
  const comparison = WORKER_SCENARIOS.map((scenario) => {
    const [one, two] = ['serve-1', 'serve-2'].map((t) =>
      rows.find((r) => r.scenario === scenario && r.target === t),
    );
    const ratio = one && two ? two.perSecond / one.perSecond : Number.NaN;
    console.log(
      `serve --workers 2 vs 1, ${scenario}: ${two?.perSecond.toFixed(0)}/s vs ${one?.perSecond.toFixed(0)}/s ` +
        `(${ratio.toFixed(2)}×), p99 ${two?.p99} vs ${one?.p99} ms`,
    );
    return { scenario, ratio };
  });
  return { rows, comparison };
}

async function runScale(
  gh: Awaited<ReturnType<typeof startGatehouseTarget>>,
  contexts: TargetContext[],
  settings: BenchSettings,
  empty: Row[],
  factor: number,
) {
  console.log(
    `Seeding ${factor === 1 ? '' : `${factor} × `}1,000,000 users, 5,000,000 token and session rows, 10,000 clients…`,
  );
  const seed = await seedPopulation(gh.gatehouse.db, factor);
  console.log(
    `Seeded in ${seed.seconds.toFixed(0)} s; database ${(seed.databaseBytes / 1048576).toFixed(0)} MB.`,
  );
  const statements = new Map<string, unknown[]>();
  const capture = (q: { sql: string; bindings?: unknown[] }) => {
    if (statements.size < 500 && !statements.has(q.sql)) statements.set(q.sql, q.bindings ?? []);
  };
  gh.gatehouse.db.on('query', capture);
  const rows = await runTable(contexts, settings);
  gh.gatehouse.db.removeListener('query', capture);
  printTable({ machine: describeMachine(), settings, argon2: await measureArgon2(), rows });
  const checks = await checkAtScale(gh.gatehouse, statements);
  const degradation = compareToEmpty(empty, rows);
  printScale(seed, checks, degradation);
  return { seed, checks, degradation, rows };
}

await main();
