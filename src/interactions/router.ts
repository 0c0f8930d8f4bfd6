import Router from '@koa/router';
import type { Middleware } from 'koa';
import { abortInteraction } from './abort.ts';
import { submitConsent } from './consent.ts';
import type { InteractionDeps } from './interaction-deps.ts';
import { submitLogin } from './login.ts';
import { showInteraction } from './show-interaction.ts';

export function interactionRouter(
  deps: InteractionDeps,
  guards: { csrf: Middleware; body: Middleware },
): Router {
  const router = new Router({ prefix: '/interaction/:uid' });
  router.get('/', showInteraction(deps));
  router.post('/login', guards.body, guards.csrf, submitLogin(deps));
  router.post('/consent', guards.body, guards.csrf, submitConsent(deps));
  router.post('/abort', guards.body, guards.csrf, abortInteraction(deps));
  return router;
}
