import { readFileSync } from 'node:fs';
import Router from '@koa/router';

const stylesheet = readFileSync(new URL('../../public/gatehouse.css', import.meta.url));

/** Our one stylesheet, served from memory; no CDN, nothing external. */
export function assetsRouter(): Router {
  const router = new Router();
  router.get('/assets/gatehouse.css', (ctx) => {
    ctx.type = 'text/css';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = stylesheet;
  });
  return router;
}
