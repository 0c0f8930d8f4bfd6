import { readFileSync } from 'node:fs';
import Router from '@koa/router';

const stylesheets = new Map(
  ['gatehouse.css', 'admin.css'].map((name) => [
    `/assets/${name}`,
    readFileSync(new URL(`../../public/${name}`, import.meta.url)),
  ]),
);

/** Our stylesheets (the pages', and the admin console's additions), served from memory; no CDN. */
export function assetsRouter(): Router {
  const router = new Router();
  for (const [path, stylesheet] of stylesheets) {
    router.get(path, (ctx) => {
      ctx.type = 'text/css';
      ctx.set('Cache-Control', 'public, max-age=3600');
      ctx.body = stylesheet;
    });
  }
  return router;
}
