import type { Command } from 'commander';
import type { Env } from './runtime.ts';

export function registerServe(program: Command, env: Env): void {
  program
    .command('serve')
    .description('start the server (what `npm start` runs); applies pending migrations first')
    .action(async () => {
      const { serve } = await import('../main.ts');
      await serve(env);
    });
}
