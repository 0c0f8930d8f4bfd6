import { parse } from 'node-html-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN,
  type AdminCaller,
  bearerCaller,
  clientCredentials,
  registerMachine,
} from '../fixtures/admin-http.ts';
import type { Browser } from '../support/browser.ts';
import { consoleSignIn } from '../support/console.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

const SEEDED = 3000;
/** Every tenth seeded user is in finance; the rest are staff. */
const FINANCE = SEEDED / 10;

describe('finding one user among thousands, in the console and the admin API', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let browser: Browser;
  let machine: AdminCaller;

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({ databaseUrl: db.url });
    await gh.gatehouse.userManager.createUser({ ...ADMIN, groups: ['admin'] });
    // Seeded in one statement: thousands of password hashes would take minutes and test nothing here.
    await gh.gatehouse.db.raw(
      `INSERT INTO users (id, email, name, groups, status, security_stamp)
       SELECT gen_random_uuid(), 'person' || lpad(i::text, 5, '0') || '@bulk.example', 'Person ' || i,
              CASE WHEN i % 10 = 0 THEN ARRAY['finance'] ELSE ARRAY['staff'] END, 'active', md5(i::text)
       FROM generate_series(1, ?) AS i`,
      [SEEDED],
    );
    await gh.gatehouse.db.raw('ANALYZE users');
    ({ browser } = await consoleSignIn(gh, ADMIN, '/admin/users'));
    const secret = await registerMachine(gh, 'directory', ['gatehouse:admin']);
    const token = await clientCredentials(gh, 'directory', secret, 'gatehouse:admin');
    machine = bearerCaller(gh, String(token.access_token));
  }, 60_000);
  afterAll(async () => {
    await gh?.stop();
    await db?.drop();
  });

  const emailsOn = (body: string) =>
    parse(body)
      .querySelectorAll('td[data-label="Email"] a')
      .map((a) => a.textContent.trim());
  const linkOn = (body: string, rel: 'next' | 'prev') =>
    parse(body).querySelector(`nav.pager a[rel="${rel}"]`)?.getAttribute('href');

  it('pages through a group of hundreds in the console, fifty at a time, with next and previous links', async () => {
    let page = await browser.visit(`${gh.issuer}/admin/users?group=finance`);
    expect(page.body).toContain(`${FINANCE} users, page 1 of ${FINANCE / 50}.`);
    expect(linkOn(page.body, 'prev')).toBeUndefined();
    const seen: string[] = [];
    for (let n = 1; ; n++) {
      const emails = emailsOn(page.body);
      expect(emails).toHaveLength(50);
      seen.push(...emails);
      const next = linkOn(page.body, 'next');
      if (!next) break;
      page = await browser.visit(`${gh.issuer}${next.replaceAll('&amp;', '&')}`);
      expect(page.body).toContain(`page ${n + 1} of ${FINANCE / 50}`);
      expect(linkOn(page.body, 'prev')).toContain(`page=${n}`);
    }
    expect(seen).toHaveLength(FINANCE);
    expect(new Set(seen).size).toBe(FINANCE);
    expect(seen).toEqual([...seen].sort());
    expect(seen.every((e) => Number(/person(\d+)@/.exec(e)?.[1]) % 10 === 0)).toBe(true);
  });

  it('finds by part of the email or the name, and combines it with the group', async () => {
    const byEmail = await browser.visit(`${gh.issuer}/admin/users?q=person0123`);
    expect(emailsOn(byEmail.body)).toEqual([
      'person01230@bulk.example',
      'person01231@bulk.example',
      'person01232@bulk.example',
      'person01233@bulk.example',
      'person01234@bulk.example',
      'person01235@bulk.example',
      'person01236@bulk.example',
      'person01237@bulk.example',
      'person01238@bulk.example',
      'person01239@bulk.example',
    ]);
    const byName = await browser.visit(`${gh.issuer}/admin/users?q=${encodeURIComponent('Person 2999')}`);
    expect(emailsOn(byName.body)).toEqual(['person02999@bulk.example']);
    const both = await browser.visit(`${gh.issuer}/admin/users?q=person012&group=finance`);
    expect(both.body).toContain('10 users.');
  });

  it('pages the same search through the API, with the total and next/previous links', async () => {
    let path: string | null = '/users?group=staff&limit=1000';
    const seen: string[] = [];
    const totals = new Set<number>();
    while (path) {
      const page = await machine.call('GET', path);
      expect(page.status).toBe(200);
      totals.add(Number(page.json.total));
      seen.push(...(page.json.users as Array<{ email: string }>).map((u) => u.email));
      const next = page.json.next as string | null;
      if (next) expect(next).toMatch(/^\/api\/admin\/v1\/users\?group=staff&offset=\d+&limit=1000$/);
      path = next?.replace('/api/admin/v1', '') ?? null;
    }
    expect([...totals]).toEqual([SEEDED - FINANCE]);
    expect(seen).toHaveLength(SEEDED - FINANCE);
    expect(new Set(seen).size).toBe(SEEDED - FINANCE);
    const last = await machine.call('GET', '/users?group=staff&offset=2000&limit=1000');
    expect(last.json).toMatchObject({
      next: null,
      previous: '/api/admin/v1/users?group=staff&offset=1000&limit=1000',
    });
    const beyond = await machine.call('GET', '/users?group=staff&offset=100000&limit=10');
    expect(beyond.json).toMatchObject({ total: SEEDED - FINANCE, users: [] });
    const first = await machine.call('GET', '/users?q=bulk.example&limit=10');
    expect(first.json).toMatchObject({ total: SEEDED, previous: null });
  });

  it('has indexes the searches can use (trigrams for "contains", GIN for groups)', async () => {
    const knex = gh.gatehouse.db;
    const plan = async (where: string, ...bindings: string[]) =>
      knex.transaction(async (trx) => {
        // With only thousands of rows a scan is cheap; forbidding it shows whether an index fits the query.
        await trx.raw('SET LOCAL enable_seqscan = off');
        const result = await trx.raw(`EXPLAIN SELECT id FROM users WHERE ${where}`, bindings);
        return (result.rows as Array<{ 'QUERY PLAN': string }>).map((r) => r['QUERY PLAN']).join('\n');
      });
    await expect(plan('groups @> ARRAY[?]::text[]', 'finance')).resolves.toContain('users_groups_gin_idx');
    await expect(plan('email ILIKE ? OR name ILIKE ?', '%son012%', '%son012%')).resolves.toMatch(
      /users_email_trgm_idx[\s\S]*users_name_trgm_idx/,
    );
    const started = performance.now();
    const search = await gh.gatehouse.userManager.searchUsers({ query: 'son01', offset: 0, limit: 50 });
    console.log(
      `search of ${SEEDED + 1} users by a part of the email: ${(performance.now() - started).toFixed(1)} ms`,
    );
    expect(search.total).toBe(1000);
  });
});
