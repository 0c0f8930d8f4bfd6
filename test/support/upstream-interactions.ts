import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { Adapter, AdapterPayload, KoaContextWithOIDC } from 'oidc-provider';

/**
 * The test upstream's own sign-in page, instead of oidc-provider's development interactions (which
 * print a warning): any password signs the named user in, and consent is given at once, as for a
 * first-party registration.
 */
export async function upstreamInteraction(
  provider: Provider,
  req: IncomingMessage,
  res: ServerResponse,
  /** How the upstream says the user signed in (`amr`, `acr`), e.g. Entra's ["pwd","mfa"]. */
  authenticationOf: (accountId: string) => { amr?: string[]; acr?: string } = () => ({}),
): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  if (req.url?.endsWith('/abort')) {
    const result = { error: 'access_denied', error_description: 'End-User aborted interaction' };
    await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
    return;
  }
  if (req.method === 'POST') {
    const body = new URLSearchParams(await readBody(req));
    const accountId = body.get('login') ?? '';
    const login = { accountId, ...authenticationOf(accountId) };
    await provider.interactionFinished(req, res, { login }, { mergeWithLastSubmission: false });
    return;
  }
  if (details.prompt.name === 'login') {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(
      `<!doctype html><title>Upstream sign-in</title><form method="post" action="/interaction/${details.uid}">` +
        '<input name="login"><input name="password" type="password"><button type="submit">Sign in</button></form>' +
        `<a href="/interaction/${details.uid}/abort">Cancel</a>`,
    );
    return;
  }
  const accountId = details.session?.accountId ?? '';
  const clientId = String(details.params.client_id);
  const grant = details.grantId
    ? ((await provider.Grant.find(details.grantId)) ?? new provider.Grant({ accountId, clientId }))
    : new provider.Grant({ accountId, clientId });
  grant.addOIDCScope(String(details.params.scope ?? 'openid'));
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

async function readBody(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) body += chunk;
  return body;
}

/** The upstream's own plain pages (oidc-provider prints a notice for each default it renders). */
export const UPSTREAM_PAGES = {
  logoutSource: async (ctx: KoaContextWithOIDC, form: string) => {
    ctx.type = 'html';
    ctx.body = `<!doctype html><title>Upstream sign-out</title>${form}
      <button type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
      <button type="submit" form="op.logoutForm">No, stay signed in</button>`;
  },
  postLogoutSuccessSource: async (ctx: KoaContextWithOIDC) => {
    ctx.type = 'html';
    ctx.body = '<!doctype html><title>Upstream</title><p>Signed out of the upstream.</p>';
  },
  renderError: async (ctx: KoaContextWithOIDC, out: object) => {
    ctx.type = 'html';
    ctx.body = `<!doctype html><title>Upstream error</title><pre>${JSON.stringify(out)}</pre>`;
  },
};

/** Lifetimes stated, so oidc-provider does not print a notice for each default it falls back to. */
export const UPSTREAM_TTL = {
  AccessToken: 3600,
  AuthorizationCode: 600,
  ClientCredentials: 600,
  Grant: 86_400,
  IdToken: 3600,
  Interaction: 3600,
  RefreshToken: 86_400,
  Session: 86_400,
};

/**
 * An in-memory store of one upstream's state, stated as its adapter (a test needs nothing more);
 * each upstream gets its own, as each real provider has its own database.
 */
export function memoryAdapter(): new (model: string) => Adapter {
  const items = new Map<string, AdapterPayload>();
  return class MemoryAdapter implements Adapter {
    readonly #model: string;

    constructor(model: string) {
      this.#model = model;
    }

    #key(id: string): string {
      return `${this.#model}:${id}`;
    }

    async upsert(id: string, payload: AdapterPayload): Promise<void> {
      items.set(this.#key(id), payload);
      if (payload.grantId) items.set(`grant:${payload.grantId}:${this.#key(id)}`, { id });
      if (payload.userCode) items.set(`userCode:${payload.userCode}`, { id });
      if (payload.uid) items.set(`${this.#model}:uid:${payload.uid}`, { id });
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      return items.get(this.#key(id));
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const ref = items.get(`${this.#model}:uid:${uid}`);
      return ref?.id ? this.find(String(ref.id)) : undefined;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      const ref = items.get(`userCode:${userCode}`);
      return ref?.id ? this.find(String(ref.id)) : undefined;
    }

    async consume(id: string): Promise<void> {
      const item = items.get(this.#key(id));
      if (item) item.consumed = Math.floor(Date.now() / 1000);
    }

    async destroy(id: string): Promise<void> {
      items.delete(this.#key(id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      for (const key of [...items.keys()]) {
        if (!key.startsWith(`grant:${grantId}:`)) continue;
        items.delete(key.slice(`grant:${grantId}:`.length));
        items.delete(key);
      }
    }
  };
}
