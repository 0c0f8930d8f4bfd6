import type * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Notification } from '../../src/notifications/notification-types.ts';
import { Browser, type Page, textOf } from '../support/browser.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { registerTestApp, signInWithPassword } from '../support/sign-in-flow.ts';
import { linkIn, type SmtpSink, startSmtpSink } from '../support/smtp-sink.ts';

const PASSWORD = 'lantern orchard pebble';
/** Invitations to this domain are delivered by the integrator's handler, not by Gatehouse. */
const HANDLED_DOMAIN = '@handled.example';

describe('invitation pages, over HTTP with a real SMTP sink', () => {
  let db: TestDatabase;
  let sink: SmtpSink;
  let gh: TestGatehouse;
  let config: oidc.Configuration;
  const handled: Array<Notification<'SendEmailNotification'>> = [];

  beforeAll(async () => {
    [db, sink] = await Promise.all([createTestDatabase(), startSmtpSink()]);
    gh = await startGatehouse({
      databaseUrl: db.url,
      env: { SMTP_URL: sink.url },
      configure: (builder) => {
        builder.notifications.on('SendEmailNotification', (n) => {
          if (n.emailType !== 'UserInvite' || !n.message.to.endsWith(HANDLED_DOMAIN)) return;
          handled.push(n);
          n.handleEmail();
        });
      },
    });
    config = await registerTestApp(gh, { clientId: 'webapp', name: 'Web App', public: false });
  });
  afterAll(async () => {
    await gh?.stop();
    await sink?.close();
    await db?.drop();
  });

  /** An application's sign-in in a fresh browser: the ID token's claims, or the page shown instead. */
  async function signInThroughApp(email: string, password: string) {
    const { page, finish } = await signInWithPassword(new Browser(), config, { email, password });
    if (!page.location) return { page };
    return { page, claims: (await finish(page)).claims() };
  }

  /** Opens an invitation link, chooses the password, and checks the page that follows. */
  async function acceptInvitation(browser: Browser, link: string, email: string): Promise<Page> {
    const form = await browser.visit(link);
    expect(form.status, textOf(form)).toBe(200);
    expect(textOf(form)).toContain('Choose your password');
    expect(textOf(form)).toContain(email);
    const done = await browser.submit(form, 'form[action="/invite"]', {
      password: PASSWORD,
      confirmPassword: PASSWORD,
    });
    expect(done.status, textOf(done)).toBe(200);
    expect(textOf(done)).toContain('You are all set');
    expect(textOf(done)).toContain(`signed in as ${email}`);
    return done;
  }

  it('emails the link; a refused password keeps it usable; the new password signs in once accepted', async () => {
    const email = 'ivy@example.com';
    await gh.gatehouse.invitations.invite({ email, name: 'Ivy Invitee', groups: ['editors'] });
    const mail = await sink.waitFor(email);
    expect(mail.subject).toBe('You have been invited');
    const link = linkIn(mail, `${gh.issuer}/invite?token=`);

    const browser = new Browser();
    const form = await browser.visit(link);
    expect(form.status).toBe(200);
    expect(textOf(form)).toContain('Welcome, Ivy Invitee');
    expect(textOf(form)).toContain('At least 10 characters');

    const tooShort = await browser.submit(form, 'form[action="/invite"]', {
      password: 'short',
      confirmPassword: 'short',
    });
    expect(tooShort.status).toBe(400);
    expect(tooShort.body).toContain('role="alert"');
    expect(textOf(tooShort)).toContain('The password must be at least 10 characters long.');

    const mismatch = await browser.submit(tooShort, 'form[action="/invite"]', {
      password: PASSWORD,
      confirmPassword: `${PASSWORD}!`,
    });
    expect(mismatch.status).toBe(400);
    expect(textOf(mismatch)).toContain('The two passwords do not match.');
    expect(await signInThroughApp(email, PASSWORD)).not.toHaveProperty('claims');

    await acceptInvitation(browser, link, email);
    // The invitee is signed in on this browser: their account page shows them.
    expect(textOf(await browser.visit(`${gh.issuer}/account`))).toContain('Ivy Invitee');

    const { claims } = await signInThroughApp(email, PASSWORD);
    expect(claims).toMatchObject({ email });

    const again = await new Browser().visit(link);
    expect(again.status).toBe(400);
    expect(textOf(again)).toContain('This invitation link cannot be used');
  });

  it('sends nothing when a SendEmailNotification handler takes the invitation; its link works', async () => {
    const email = `hal${HANDLED_DOMAIN}`;
    await gh.gatehouse.invitations.invite({ email, name: 'Hal Handled' });
    // invite() waits for the delivery, so a message sent by Gatehouse would be in the sink already.
    expect(sink.messages.filter((m) => m.to === email)).toEqual([]);
    const notification = handled.find((n) => n.message.to === email);
    const link = notification?.message.link ?? '';
    expect(link.startsWith(`${gh.issuer}/invite?token=`)).toBe(true);

    await acceptInvitation(new Browser(), link, email);
    const { claims } = await signInThroughApp(email, PASSWORD);
    expect(claims).toMatchObject({ email });
  });

  it('answers a missing, made-up or malformed token with the same clear 400 page', async () => {
    for (const path of ['/invite', '/invite?token=made-up', '/invite?token=a&token=b']) {
      const page = await new Browser().visit(`${gh.issuer}${path}`);
      expect(page.status, path).toBe(400);
      expect(textOf(page)).toContain('This invitation link cannot be used');
    }
    // Posting the form without having opened a link first is the same dead end, not a crash.
    const browser = new Browser();
    const page = await browser.visit(`${gh.issuer}/invite`);
    const posted = await browser.request(`${gh.issuer}/invite`, {
      form: { _csrf: csrfTokenOf(page), password: PASSWORD, confirmPassword: PASSWORD },
    });
    expect(posted.status).toBe(400);
    expect(textOf(posted)).toContain('This invitation link cannot be used');
  });
});

/** The CSRF token a page's forms carry; the invalid-link page has none, so read it from the cookie. */
function csrfTokenOf(page: Page): string {
  const cookie = page.headers.getSetCookie().find((c) => /^(__Host-)?gh_xsrf=/.test(c)) ?? '';
  return cookie.split(';')[0]?.split('=')[1] ?? '';
}
