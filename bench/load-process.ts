import autocannon from 'autocannon';
import { HttpClient, signIn } from './browser-flow.ts';
import { type FlowJob, type HttpJob, type LoadJob, type LoadResult, percentile } from './load.ts';

async function runHttp(job: HttpJob): Promise<LoadResult> {
  const bodies = job.bodies;
  let next = 0;
  const result = await autocannon({
    url: job.url,
    method: job.method,
    headers: job.headers,
    body: job.body,
    connections: job.connections,
    ...(job.rate ? { overallRate: job.rate } : {}),
    ...(bodies ? { amount: bodies.length } : { duration: job.seconds ?? 5 }),
    ...(bodies
      ? { requests: [{ setupRequest: (request) => ({ ...request, body: bodies[next++] ?? '' }) }] }
      : {}),
  });
  const failures = result.errors + result.non2xx + result.mismatches;
  return {
    completed: result['2xx'],
    seconds: result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: failures,
    ...(failures ? { firstError: describeStatuses(result.statusCodeStats) } : {}),
  };
}

function describeStatuses(stats: autocannon.Result['statusCodeStats']): string {
  const parts = Object.entries(stats ?? {}).map(([code, s]) => `${code}×${s.count ?? 0}`);
  return `status codes: ${parts.join(', ') || 'none (connection errors)'}`;
}

async function runFlows(job: FlowJob): Promise<LoadResult> {
  const http = new HttpClient(job.connections);
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const end = started + job.seconds * 1000;
  const browser = async (index: number) => {
    const email = job.emails[index % job.emails.length] ?? '';
    while (performance.now() < end) {
      const t0 = performance.now();
      try {
        await signIn(http, job.target, email);
        latencies.push(performance.now() - t0);
      } catch (error) {
        errors++;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: job.connections }, (_, i) => browser(i)));
  const seconds = (performance.now() - started) / 1000;
  http.close();
  latencies.sort((a, b) => a - b);
  return {
    completed: latencies.length,
    seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors,
    ...(firstError ? { firstError } : {}),
  };
}

// Forked by runLoad(): one job in, one result out, then exit.
process.once('message', async (job: LoadJob) => {
  const result = job.kind === 'flow' ? await runFlows(job) : await runHttp(job);
  process.send?.(result, () => process.exit(0));
});
