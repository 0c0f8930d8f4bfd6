import type { Browser, Page } from './browser.ts';

/**
 * Calls Gatehouse's JSON APIs the way a single-page app would: with the browser's cookies, and the
 * `gh_xsrf` cookie's value echoed in `X-XSRF-Token` on every POST.
 */
export class ApiClient {
  readonly browser: Browser;
  readonly base: string;

  constructor(browser: Browser, base: string) {
    this.browser = browser;
    this.base = base;
  }

  async get(path: string): Promise<ApiResponse> {
    return toApi(
      await this.browser.request(`${this.base}${path}`, { headers: { accept: 'application/json' } }),
    );
  }

  async post(path: string, body: unknown = {}): Promise<ApiResponse> {
    const token = await this.xsrfToken();
    const page = await this.browser.request(`${this.base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-xsrf-token': token },
      body: JSON.stringify(body),
    });
    return toApi(page);
  }

  /** The token any earlier response set; fetches one first if there is none yet. */
  async xsrfToken(): Promise<string> {
    const find = async () =>
      (await this.browser.jar.getCookies(this.base)).find((c) => c.key.endsWith('gh_xsrf'))?.value;
    const existing = await find();
    if (existing) return existing;
    await this.get('/api/auth/password-config');
    return (await find()) ?? '';
  }
}

export interface ApiResponse {
  status: number;
  json: Record<string, unknown>;
  page: Page;
}

function toApi(page: Page): ApiResponse {
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(page.body) as Record<string, unknown>;
  } catch {
    json = { raw: page.body };
  }
  return { status: page.status, json, page };
}
