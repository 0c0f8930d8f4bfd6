import type { Knex } from 'knex';
import type { UserStatus } from './user.ts';
import type { UserRow } from './user-row.ts';

export interface UserSearch {
  /** Part of the email address or name, any case. */
  query?: string | undefined;
  group?: string | undefined;
  status?: UserStatus | undefined;
  offset: number;
  limit: number;
}

type SearchRow = UserRow & { total: string };

/**
 * The console's user search: one statement for the page and the total (a window count over the
 * same scan), and only the trigram index that can match. An address holds no whitespace (the
 * email rules refuse it), so a query with a space reads the name index alone. With a million users
 * whose names share words, each trigram index scan cost ~27 ms, and the page and the count used
 * to scan both indexes each (139 ms by name in `npm run bench -- --scale`).
 */
export async function searchUserRows(
  users: () => Knex.QueryBuilder<UserRow>,
  { query, group, status, offset, limit }: UserSearch,
): Promise<{ rows: UserRow[]; total: number }> {
  const filtered = () =>
    users().where((q) => {
      if (query) {
        const like = `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        if (/\s/.test(query)) q.whereILike('name', like);
        else q.where((w) => w.whereILike('email', like).orWhereILike('name', like));
      }
      // `@>` (not `= ANY`) so that the GIN index on groups can answer it.
      if (group) q.whereRaw('groups @> ARRAY[?]::text[]', [group]);
      if (status) q.where({ status });
    });
  const rows = (await filtered()
    .select('*', users().client.raw('count(*) OVER () AS total'))
    .orderBy('email')
    .offset(offset)
    .limit(limit)) as SearchRow[];
  const first = rows[0];
  if (first) return { rows: rows.map(({ total: _, ...row }) => row), total: Number(first.total) };
  // A page past the end holds no row to carry the count.
  const count = offset > 0 ? await filtered().count<{ count: string }[]>('* as count').first() : undefined;
  return { rows: [], total: Number(count?.count ?? 0) };
}
