import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { TargetName } from './fixtures.ts';
import type { LoadResult } from './load.ts';
import type { BenchSettings, Scenario } from './scenarios.ts';

export interface Row extends LoadResult {
  scenario: string;
  unit: Scenario['unit'];
  target: TargetName;
  perSecond: number;
  /** Database round trips per unit (request or sign-in); absent for the bare provider. */
  dbPerUnit?: number;
}

export interface Ratio {
  scenario: string;
  /** Gatehouse throughput as a fraction of the bare provider's (1 = as fast). */
  throughput: number;
  /** Gatehouse median latency as a multiple of the bare provider's. */
  p50: number;
}

export interface Argon2Cost {
  parameters: string;
  msPerVerify: number;
  /** One verification's rate times the cores: what a naive estimate of the ceiling says. */
  extrapolatedPerSecond: number;
  /** Verifications per second measured with every core running argon2id and nothing else. */
  ceilingPerSecond: number;
}

export function toRow(scenario: Scenario, target: TargetName, result: LoadResult, dbPerUnit?: number): Row {
  return {
    scenario: scenario.name,
    unit: scenario.unit,
    target,
    perSecond: result.completed / result.seconds,
    ...result,
    ...(dbPerUnit === undefined ? {} : { dbPerUnit }),
  };
}

export function ratios(rows: Row[]): Ratio[] {
  const scenarios = [...new Set(rows.map((r) => r.scenario))];
  return scenarios.flatMap((scenario) => {
    const gh = rows.find((r) => r.scenario === scenario && r.target === 'gatehouse');
    const bare = rows.find((r) => r.scenario === scenario && r.target === 'bare');
    if (!gh || !bare) return [];
    return [{ scenario, throughput: gh.perSecond / bare.perSecond, p50: gh.p50 / bare.p50 }];
  });
}

export interface Machine {
  cores: number;
  cpu: string;
  node: string;
  /** 1-minute load average before the bench started anything; the bench itself adds 2 to 3. */
  loadBefore: number;
}

export function describeMachine(): Machine {
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    loadBefore: loadavg()[0] ?? 0,
  };
}

export interface Report {
  machine: Machine;
  settings: BenchSettings;
  argon2: Argon2Cost;
  rows: Row[];
  /** Where the database ran: `embedded` or host:port. */
  database?: string;
  /** What a mode adds (workers, scale, soak), written to the JSON as given. */
  extra?: Record<string, unknown>;
}

/** Whole sign-ins per second as a share of what argon2id alone would allow on this machine. */
export function signInShareOfCeiling(rows: Row[], argon2: Argon2Cost): number | undefined {
  const row = rows.find((r) => r.unit === 'sign-in' && r.target === 'gatehouse');
  return row ? row.perSecond / argon2.ceilingPerSecond : undefined;
}

export function printTable({ rows, argon2, settings, machine }: Report): void {
  const byScenario = new Map(ratios(rows).map((r) => [r.scenario, r]));
  const header = [
    'scenario',
    'target',
    'per s',
    'p50 ms',
    'p99 ms',
    'n',
    'errors',
    'db/unit',
    'GH/bare per s',
    'GH/bare p50',
  ];
  const lines = rows.map((r) => {
    const ratio = r.target === 'gatehouse' ? byScenario.get(r.scenario) : undefined;
    return [
      r.unit === 'sign-in' ? `${r.scenario} (sign-ins)` : r.scenario,
      r.target,
      fixed(r.perSecond, 0),
      fixed(r.p50, 1),
      fixed(r.p99, 1),
      String(r.completed),
      String(r.errors),
      r.dbPerUnit === undefined ? '' : fixed(r.dbPerUnit, 1),
      ratio ? fixed(ratio.throughput, 2) : '',
      ratio ? `${fixed(ratio.p50, 1)}×` : '',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const format = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  console.log('');
  console.log(format(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const line of lines) console.log(format(line));
  console.log('');
  console.log(
    `${settings.connections} connections; ${settings.seconds} s per scenario per target ` +
      `(refresh_token: ${settings.refreshPool} single-use tokens per target); ${cpus().length} cores, ` +
      'load generator in a child process on the same machine.',
  );
  console.log(
    `argon2id ${argon2.parameters}: ${fixed(argon2.msPerVerify, 1)} ms per verification alone; ` +
      `${fixed(argon2.ceilingPerSecond, 0)} verifications/s measured with all ${cpus().length} cores running only argon2id ` +
      `(the ceiling; ${fixed(argon2.extrapolatedPerSecond, 0)}/s if the cores scaled perfectly). ` +
      'Gatehouse pays it once per authorization_code sign-in; the bare provider compares plain text.',
  );
  const share = signInShareOfCeiling(rows, argon2);
  if (share !== undefined) {
    console.log(`Gatehouse sign-ins reached ${fixed(share * 100, 0)}% of that ceiling (target ≥ 70%).`);
  }
  if (machine.loadBefore > 1) {
    console.log(
      `! The load average was ${fixed(machine.loadBefore, 1)} before the run (${cpus().length} cores): other ` +
        'work shares this machine, so absolute numbers are low and noisy. Compare ratios, or run again when it is quiet.',
    );
  }
  for (const r of rows.filter((row) => row.errors > 0)) {
    console.log(`! ${r.scenario} on ${r.target}: ${r.errors} failures; first: ${r.firstError ?? 'unknown'}`);
  }
}

export function writeJson(
  { rows, argon2, settings, machine, database, extra }: Report,
  name = 'latest.json',
): string {
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const file = new URL(name, dir);
  const report = {
    generatedAt: new Date().toISOString(),
    machine,
    database,
    settings,
    argon2: { ...argon2, signInShareOfCeiling: signInShareOfCeiling(rows, argon2) },
    results: rows,
    ratios: ratios(rows),
    ...extra,
  };
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return fileURLToPath(file);
}

function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '—';
}
