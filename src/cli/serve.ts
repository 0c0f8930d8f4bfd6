import { type Command, InvalidArgumentError } from 'commander';
import type { Env } from './runtime.ts';

function workerCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64)
    throw new InvalidArgumentError('must be a whole number from 1 to 64');
  return n;
}

export function registerServe(program: Command, env: Env): void {
  program
    .command('serve')
    .description('start the server (what `npm start` runs); applies pending migrations first')
    .option('--workers <n>', 'run n processes sharing the port (nodes are stateless)', workerCount, 1)
    .action(async (options: { workers: number }) => {
      if (options.workers > 1) {
        const { serveWorkers } = await import('../operations/workers.ts');
        await serveWorkers(options.workers, env);
        return;
      }
      const { serve } = await import('../main.ts');
      await serve(env);
    });
}
