import { createHash } from 'node:crypto';
import { chownSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterUser } from './binaries.ts';

/**
 * Where the embedded cluster puts its Unix-domain socket, for Gatehouse's own connections: over a
 * socket a query costs Node about 40 µs of CPU against 69 µs over loopback TCP (10 connections),
 * and the machine's two cores are shared with PostgreSQL. TCP on 127.0.0.1 stays on for tools
 * (psql, pg_dump).
 *
 * A socket's path is at most 107 bytes (sun_path), and PostgreSQL names it `.s.PGSQL.<port>`
 * inside the directory. So: `DATA_DIR/postgres/run` when that is short enough, else a directory
 * under the system's temporary directory named after the cluster (the same one at every start),
 * else none, and the cluster is reached over TCP only. The directory is private (0700, owned by
 * the account the postmaster runs as): only that account (and root) may connect through it.
 */
const MAX_SOCKET_PATH = 107;
const SOCKET_NAME = '/.s.PGSQL.65535';
// PostgreSQL reads the directory from a command line (pg_ctl hands it to a shell) and as a list
// (commas, quotes): a path of other characters falls back to the next choice rather than be quoted.
const PLAIN_PATH = /^[A-Za-z0-9/._-]+$/;

/** The candidate directories for a cluster whose home is `home`, in order of preference. */
export function socketDirCandidates(home: string, pgdata: string): string[] {
  const named = `gatehouse-pg-${createHash('sha256').update(pgdata).digest('hex').slice(0, 16)}`;
  return [join(home, 'run'), join(tmpdir(), named)].filter(
    (dir) => PLAIN_PATH.test(dir) && Buffer.byteLength(dir + SOCKET_NAME) <= MAX_SOCKET_PATH,
  );
}

/**
 * Makes the first usable candidate ready for a postmaster about to start, and answers it; undefined
 * when none is (TCP only). A directory that exists must be a real directory of the right owner and
 * private, or it is not used: under a shared /tmp someone else may have made it first.
 */
export function prepareSocketDir(candidates: string[], user: ClusterUser | undefined): string | undefined {
  for (const dir of candidates) {
    try {
      mkdirSync(dir, { mode: 0o700 });
      if (user) chownSync(dir, user.uid, user.gid);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') continue;
    }
    if (!isPrivateDirectory(dir, user?.uid ?? process.getuid?.())) continue;
    removeStaleSockets(dir);
    return dir;
  }
  return undefined;
}

function isPrivateDirectory(dir: string, uid: number | undefined): boolean {
  try {
    const stat = lstatSync(dir);
    return stat.isDirectory() && (uid === undefined || stat.uid === uid) && (stat.mode & 0o077) === 0;
  } catch {
    return false;
  }
}

/**
 * Sockets left by a postmaster that was killed (kill -9, a power cut): PostgreSQL replaces its own
 * stale socket and lock file when it starts on the same port, but each start picks a free port, so
 * the old ones would pile up. Removed only when the PID in the lock file is gone; a lock file still
 * being written (no PID yet) or of a live postmaster is left alone.
 */
function removeStaleSockets(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const lock of names.filter((n) => /^\.s\.PGSQL\.\d+\.lock$/.test(n))) {
    const pid = readPid(join(dir, lock));
    if (pid === undefined || isAlive(pid)) continue;
    rmSync(join(dir, lock.slice(0, -'.lock'.length)), { force: true });
    rmSync(join(dir, lock), { force: true });
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').split('\n')[0] ?? '', 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, but another account's (a non-root Gatehouse beside a cluster of another user).
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
