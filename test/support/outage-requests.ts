import { ApiClient } from './api-client.ts';
import type { Browser } from './browser.ts';

/**
 * The three kinds of caller the outage tests watch while the database is away: a machine client's
 * token request, a single-page app's sign-in (with the XSRF token `api().xsrfToken()` fetched while
 * the database was there) and a person's page. `issuer` is read at call time: the server starts later.
 */
export function outageRequests(issuer: () => string, spa: Browser, machineSecret: string) {
  const api = () => new ApiClient(spa, issuer());
  return {
    api,
    tokenRequest: () =>
      fetch(`${issuer()}/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`machine:${machineSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      }),
    apiLogin: async () => {
      const { page } = await api().post('/api/auth/login', {
        username: 'someone@example.com',
        password: 'whatever it is',
      });
      return new Response(page.body, { status: page.status, headers: page.headers });
    },
    page: () => fetch(`${issuer()}/reset-password?token=abc`, { headers: { accept: 'text/html' } }),
  };
}
