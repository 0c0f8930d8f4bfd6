import type { Context } from 'koa';
import { z } from 'zod';
import { AppError } from '../errors/app-error.ts';
import type { AccountDeps } from './account-deps.ts';

/**
 * Renders one of the self-service pages. They show personal data or carry a one-time token, so no
 * browser or proxy may keep a copy.
 */
export function renderPage(
  ctx: Context,
  deps: Pick<AccountDeps, 'views'>,
  template: string,
  values: Record<string, unknown> = {},
  status = 200,
): void {
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = deps.views.render(`account/${template}`, { csrfToken: ctx.state.csrfToken, ...values });
}

export type LinkKind = 'invite' | 'reset';

/**
 * Runs a handler of an emailed link's page. Wherever it finds the link unknown, expired or used
 * (the services' `token_invalid`), the person gets a 400 page that says what to do next instead of
 * the generic error page.
 */
export function linkPage(
  deps: Pick<AccountDeps, 'views'>,
  kind: LinkKind,
  handler: (ctx: Context) => Promise<void>,
) {
  return async (ctx: Context): Promise<void> => {
    try {
      await handler(ctx);
    } catch (error) {
      if (!(error instanceof AppError && error.code === 'token_invalid')) throw error;
      renderPage(ctx, deps, 'link-invalid.njk', { kind }, 400);
    }
  };
}

const tokenSchema = z.string().min(1).max(256);

/** The token of an emailed link (query or form field); a missing or malformed one is refused. */
export function requireToken(value: unknown): string {
  const result = tokenSchema.safeParse(value);
  if (!result.success) throw new AppError('token_invalid');
  return result.data;
}

/** Whether cookies must be Secure: Gatehouse is served over https. */
export function servedOverHttps(deps: Pick<AccountDeps, 'settings'>): boolean {
  return deps.settings.issuer.startsWith('https://');
}
