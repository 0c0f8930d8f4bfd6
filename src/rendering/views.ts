import { fileURLToPath } from 'node:url';
import nunjucks from 'nunjucks';

const viewsDirectory = fileURLToPath(new URL('../../views/', import.meta.url));

export interface Views {
  render(template: string, context?: Record<string, unknown>): string;
}

/**
 * Server-rendered pages through nunjucks with autoescaping on, so every value a user or client
 * controls is HTML-escaped unless a template says otherwise.
 */
export function createViews(options: { productName?: string; watch?: boolean } = {}): Views {
  const env = new nunjucks.Environment(
    new nunjucks.FileSystemLoader(viewsDirectory, { noCache: options.watch ?? false }),
    {
      autoescape: true,
      throwOnUndefined: false,
      trimBlocks: true,
      lstripBlocks: true,
    },
  );
  env.addGlobal('productName', options.productName ?? 'Gatehouse');
  return {
    render: (template, context = {}) => env.render(template, context),
  };
}
