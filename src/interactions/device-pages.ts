import type { KoaContextWithOIDC } from 'oidc-provider';
import type { ProviderPages } from '../oidc/configuration.ts';
import type { Views } from '../rendering/views.ts';
import { render } from './provider-pages.ts';

/**
 * The device authorization grant's pages (RFC 8628) in Gatehouse's look. oidc-provider builds the
 * forms; we keep its action and its anti-forgery token (bound to the browser's session) and write
 * our own accessible form around them.
 */
export function devicePages(views: Views): ProviderPages['device'] {
  return {
    userCodeInputSource: async (ctx, form, _out, err) =>
      render(ctx, views, 'device/enter-code.njk', {
        ...formFields(form),
        error: err ? views.translator()(errorKey(err)) : undefined,
      }),
    userCodeConfirmSource: async (ctx, form, client, _deviceInfo, userCode) =>
      render(ctx, views, 'device/confirm.njk', {
        ...formFields(form),
        client: client.clientName ?? client.clientId,
        userCode,
      }),
    successSource: async (ctx) => render(ctx, views, 'device/done.njk', { client: clientName(ctx) }),
  };
}

function clientName(ctx: KoaContextWithOIDC): string | undefined {
  return ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId;
}

function formFields(form: string): { action: string; xsrf: string } {
  const action = /action="([^"]+)"/.exec(form)?.[1] ?? '/device';
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(form)?.[1] ?? '';
  return { action, xsrf };
}

/** The same words whatever was wrong with the code, so the page tells a guesser nothing. */
function errorKey(err: Error): string {
  if (err.name === 'AbortedError') return 'device.error.aborted';
  if ('userCode' in err || err.name === 'NoCodeError') return 'device.error.invalidCode';
  return 'device.error.other';
}
