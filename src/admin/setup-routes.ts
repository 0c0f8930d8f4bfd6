import Router from '@koa/router';
import type { Middleware } from 'koa';
import { z } from 'zod';
import { emailField } from '../api/admin/admin-schemas.ts';
import { AppError } from '../errors/app-error.ts';
import { formOrJsonOnly, parseBody } from '../http/validation.ts';
import { pageMessage } from '../i18n/page-message.ts';
import type { Views } from '../rendering/views.ts';
import type { FirstRunSetup } from '../users/first-run.ts';

const setupForm = z.object({
  email: emailField,
  name: z.string().trim().max(255).default(''),
  password: z.string().max(1024),
});

/** `/setup/:token`: the first-run page that creates the first admin. */
export function setupRouter(
  deps: { setup: FirstRunSetup; views: Views },
  guards: { csrf: Middleware; body: Middleware },
): Router {
  const router = new Router({ prefix: '/setup/:token' });

  router.get('/', async (ctx) => {
    if (!(await deps.setup.isUsable(ctx.params.token ?? ''))) throw new AppError('token_invalid');
    ctx.set('Cache-Control', 'no-store');
    ctx.body = deps.views.render('setup/first-admin.njk', {
      csrfToken: ctx.state.csrfToken,
      token: ctx.params.token,
    });
  });

  router.post('/', formOrJsonOnly, guards.body, guards.csrf, async (ctx) => {
    const token = ctx.params.token ?? '';
    const input = parseBody(ctx, setupForm);
    try {
      const user = await deps.setup.createFirstAdmin(token, input);
      ctx.body = deps.views.render('setup/done.njk', { email: user.email });
    } catch (error) {
      if (!(error instanceof AppError) || error.code === 'token_invalid') throw error;
      ctx.status = error.status;
      ctx.body = deps.views.render('setup/first-admin.njk', {
        csrfToken: ctx.state.csrfToken,
        token,
        email: input.email,
        name: input.name,
        error: pageMessage(deps.views.translator(), error),
      });
    }
  });
  return router;
}
