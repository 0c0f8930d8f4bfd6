import { parse } from 'node-html-parser';
import { CookieJar } from 'tough-cookie';

export interface Page {
  url: string;
  status: number;
  headers: Headers;
  body: string;
  /** Set when the response is a redirect. */
  location?: string;
}

/**
 * A small browser for flow tests: a cookie jar, manual redirects, and form submission that reads
 * the form's action and hidden fields (CSRF token included) from the page, as a person's browser
 * would post it.
 */
export class Browser {
  readonly jar = new CookieJar();

  async request(
    url: string,
    init: {
      method?: string;
      form?: Record<string, string>;
      body?: string;
      headers?: Record<string, string>;
    } = {},
  ): Promise<Page> {
    const headers = new Headers(init.headers);
    const cookie = await this.jar.getCookieString(url);
    if (cookie) headers.set('cookie', cookie);
    let body: string | undefined = init.body;
    if (init.form) {
      headers.set('content-type', 'application/x-www-form-urlencoded');
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(url, {
      method: init.method ?? (body ? 'POST' : 'GET'),
      headers,
      body,
      redirect: 'manual',
    });
    for (const setCookie of response.headers.getSetCookie()) {
      await this.jar.setCookie(setCookie, url, { ignoreError: true });
    }
    const location = response.headers.get('location');
    return {
      url,
      status: response.status,
      headers: response.headers,
      body: await response.text(),
      ...(location ? { location: new URL(location, url).toString() } : {}),
    };
  }

  /** GETs `url` and follows redirects until a page, or a redirect to a URL `stopAt` accepts. */
  async visit(url: string, stopAt: (url: string) => boolean = () => false): Promise<Page> {
    return this.follow(await this.request(url), stopAt);
  }

  async follow(page: Page, stopAt: (url: string) => boolean = () => false): Promise<Page> {
    let current = page;
    for (let hops = 0; current.location && !stopAt(current.location); hops++) {
      if (hops > 20) throw new Error(`redirect loop from ${page.url}`);
      current = await this.request(current.location);
    }
    return current;
  }

  /** Submits the form matched by `selector` with its own hidden fields plus `values`. */
  async submit(
    page: Page,
    selector: string,
    values: Record<string, string> = {},
    submitter?: { name: string; value: string },
  ): Promise<Page> {
    const form = parse(page.body).querySelector(selector);
    if (!form) throw new Error(`no form ${selector} on ${page.url}:\n${page.body.slice(0, 2000)}`);
    const fields: Record<string, string> = {};
    for (const input of form.querySelectorAll('input')) {
      const name = input.getAttribute('name');
      const type = input.getAttribute('type') ?? 'text';
      if (name && type !== 'checkbox' && type !== 'submit') fields[name] = input.getAttribute('value') ?? '';
    }
    if (submitter) fields[submitter.name] = submitter.value;
    const action = new URL(form.getAttribute('action') ?? page.url, page.url).toString();
    return this.request(action, {
      method: (form.getAttribute('method') ?? 'get').toUpperCase(),
      form: { ...fields, ...values },
    });
  }
}

export function textOf(page: Page): string {
  return parse(page.body).textContent.replace(/\s+/g, ' ').trim();
}
