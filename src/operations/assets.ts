import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import Router from '@koa/router';
import { brandStylesheet, logoPath } from '../branding/branding.ts';
import type { BrandingSettings } from '../config/settings.ts';

const read = (name: string) => readFileSync(new URL(`../../public/${name}`, import.meta.url));

const IMAGE_TYPES: Record<string, string> = {
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
};

/**
 * Our stylesheets (the pages', the admin console's additions, the brand's colours), our one small
 * script and the logo, served from memory; no CDN, nothing external.
 */
export function assetsRouter(branding: BrandingSettings): Router {
  const router = new Router();
  const serve = (path: string, type: string, body: Buffer | string) =>
    router.get(path, (ctx) => {
      ctx.type = type;
      ctx.set('Cache-Control', 'public, max-age=3600');
      ctx.body = body;
    });
  serve('/assets/gatehouse.css', 'text/css', read('gatehouse.css'));
  serve('/assets/admin.css', 'text/css', read('admin.css'));
  serve('/assets/brand.css', 'text/css', brandStylesheet(branding));
  serve('/assets/gatehouse.js', 'text/javascript', read('gatehouse.js'));
  const logo = logoPath(branding);
  if (branding.logoFile && logo) {
    // Read at start, so a missing file stops the server with a clear error rather than a broken image.
    const type = IMAGE_TYPES[extname(branding.logoFile).toLowerCase()] ?? 'application/octet-stream';
    serve(logo, type, readFileSync(branding.logoFile));
  }
  return router;
}
