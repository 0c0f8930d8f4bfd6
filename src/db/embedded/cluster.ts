import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  binariesFor,
  type ClusterUser,
  clusterUser,
  type PostgresBinaries,
  postgresBinaries,
} from './binaries.ts';
import { isAlive, prepareSocketDir, socketDirCandidates } from './socket-dir.ts';

/** What `postmaster.pid` says about the postmaster that holds the cluster's lock. */
export interface PostmasterState {
  pid: number;
  port: number;
  /** `starting`, `ready`, `stopping`, or empty while the postmaster is still writing it. */
  status: string;
  alive: boolean;
  /** The directory of its Unix-domain socket; undefined when it listens on TCP only. */
  socketDir: string | undefined;
}

export interface ClusterConfig {
  /** `DATA_DIR`; the cluster lives in `<dataDir>/postgres`. */
  dataDir: string;
  /** Server settings written at initdb, after Gatehouse's own (the test cluster turns fsync off). */
  serverSettings?: Record<string, string>;
}

/** The only role; it owns every database of the cluster. */
export const CLUSTER_ROLE = 'postgres';

// Loopback TCP with a password (for tools: psql, pg_dump). No Unix socket by default: `start` gives
// the postmaster its socket directory (./socket-dir.ts), which Gatehouse's own connections use.
const BASE_SETTINGS: Record<string, string> = {
  listen_addresses: '127.0.0.1',
  unix_socket_directories: '',
  shared_buffers: '32MB',
};

/**
 * One PostgreSQL cluster under `DATA_DIR/postgres`: `data/` (PGDATA, with `server.log`) and
 * `password` (the random password of the `postgres` role, readable by this account only).
 * This class only runs the binaries; who starts and stops the server is decided in lease.ts.
 */
export class EmbeddedCluster {
  readonly home: string;
  readonly pgdata: string;
  readonly logFile: string;
  readonly config: ClusterConfig;
  private readonly bin: PostgresBinaries;
  private readonly user: ClusterUser | undefined;

  private constructor(config: ClusterConfig, bin: PostgresBinaries, user: ClusterUser | undefined) {
    this.config = config;
    this.bin = bin;
    this.user = user;
    this.home = join(resolve(config.dataDir), 'postgres');
    this.pgdata = join(this.home, 'data');
    this.logFile = join(this.pgdata, 'server.log');
  }

  static async open(config: ClusterConfig): Promise<EmbeddedCluster> {
    const [bin, user] = await Promise.all([postgresBinaries(), clusterUser()]);
    return new EmbeddedCluster(config, await binariesFor(bin, user), user);
  }

  isInitialised(): boolean {
    return existsSync(join(this.pgdata, 'PG_VERSION'));
  }

  /**
   * First use: initdb into a staging folder, then rename it into place. The rename is atomic, so
   * two processes starting at once on a new DATA_DIR cannot both initialise it: the loser's rename
   * fails because the folder is there, and it throws its own copy away.
   */
  async initialise(): Promise<void> {
    if (this.isInitialised()) return;
    const dataDir = resolve(this.config.dataDir);
    mkdirSync(dataDir, { recursive: true });
    // The postgres account must pass through DATA_DIR to reach its folder (x, not r: it lists nothing).
    if (this.user) chmodSync(dataDir, statSync(dataDir).mode | 0o001);
    const staging = mkdtempSync(join(dataDir, '.postgres-init-'));
    try {
      await this.initdbInto(staging);
      try {
        renameSync(staging, this.home);
      } catch (error) {
        if (!this.isInitialised()) throw error;
        rmSync(staging, { recursive: true, force: true });
      }
    } catch (error) {
      rmSync(staging, { recursive: true, force: true });
      throw error;
    }
  }

  private async initdbInto(staging: string): Promise<void> {
    const password = randomBytes(24).toString('base64url');
    writeFileSync(join(staging, 'password'), `${password}\n`, { mode: 0o600 });
    const pgdata = join(staging, 'data');
    const pwfile = join(staging, 'initdb-password');
    mkdirSync(pgdata, { mode: 0o700 });
    writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    if (this.user) {
      chmodSync(staging, 0o711);
      chownSync(pgdata, this.user.uid, this.user.gid);
      chownSync(pwfile, this.user.uid, this.user.gid);
    }
    const settings = { ...BASE_SETTINGS, ...this.config.serverSettings };
    try {
      await this.run(this.bin.initdb, [
        `--pgdata=${pgdata}`,
        `--username=${CLUSTER_ROLE}`,
        '--auth=scram-sha-256',
        `--pwfile=${pwfile}`,
        '--encoding=UTF8',
        '--no-locale',
        ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
      ]);
    } catch (error) {
      if (!this.user) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(
        `${reason} (as root, the database runs as the postgres account: it must be able to enter DATA_DIR)`,
      );
    } finally {
      rmSync(pwfile, { force: true });
    }
  }

  password(): string {
    return readFileSync(join(this.home, 'password'), 'utf8').trim();
  }

  /**
   * The URL of `database`: over the Unix-domain socket in `socketDir` when given (node-postgres and
   * libpq both take a directory as `host`; the query parameter overrides the URL's host), else TCP.
   */
  url(port: number, database: string, socketDir?: string): string {
    const tcp = `postgres://${CLUSTER_ROLE}:${encodeURIComponent(this.password())}@127.0.0.1:${port}/${database}`;
    return socketDir ? `${tcp}?host=${encodeURIComponent(socketDir)}` : tcp;
  }

  /** Reads the cluster's lock file; undefined when no postmaster holds (or held) the cluster. */
  postmaster(): PostmasterState | undefined {
    let text: string;
    try {
      text = readFileSync(join(this.pgdata, 'postmaster.pid'), 'utf8');
    } catch {
      return undefined;
    }
    const lines = text.split('\n');
    const pid = Number.parseInt(lines[0] ?? '', 10);
    if (!Number.isInteger(pid) || pid <= 0)
      return { pid: 0, port: 0, status: '', alive: true, socketDir: undefined };
    const port = Number.parseInt(lines[3] ?? '', 10);
    const socketDir = (lines[4] ?? '').trim() || undefined;
    return { pid, port, status: (lines[7] ?? '').trim(), alive: isAlive(pid), socketDir };
  }

  /**
   * Starts a postmaster detached from this process (pg_ctl puts it in its own session), so it
   * outlives a `kill -9` of Gatehouse and the next start finds and reuses it. Fails when another
   * postmaster holds the lock file: PostgreSQL's own lock decides who starts the cluster.
   * Also listens on a Unix-domain socket when a short, private directory is at hand (-k; the path
   * is of plain characters only, so it passes pg_ctl's shell unquoted); joiners find it in
   * postmaster.pid.
   */
  async start(port: number): Promise<void> {
    const socketDir = prepareSocketDir(socketDirCandidates(this.home, this.pgdata), this.user);
    await this.run(this.bin.pg_ctl, [
      'start',
      `--pgdata=${this.pgdata}`,
      `--log=${this.logFile}`,
      '--wait',
      '--timeout=120',
      `--options=-p ${port}${socketDir ? ` -k ${socketDir}` : ''}`,
    ]);
  }

  /** Fast shutdown: open sessions are ended, committed work is on disk. No-op when not running. */
  async stop(): Promise<void> {
    if (!this.postmaster()?.alive) return;
    await this.run(this.bin.pg_ctl, [
      'stop',
      `--pgdata=${this.pgdata}`,
      '--mode=fast',
      '--wait',
      '--timeout=120',
    ]);
  }

  /** The last lines of the server's log, for an error message that says why it did not start. */
  logTail(lines = 5): string {
    try {
      return readFileSync(this.logFile, 'utf8').trim().split('\n').slice(-lines).join(' | ');
    } catch {
      return '';
    }
  }

  private run(file: string, args: string[]): Promise<void> {
    return new Promise((resolvePromise, reject) => {
      execFile(
        file,
        args,
        {
          ...(this.user ?? {}),
          // Anywhere the postgres account may enter; messages in English for the error text.
          cwd: tmpdir(),
          env: { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' },
          timeout: 180_000,
        },
        (error, _stdout, stderr) => {
          if (!error) return resolvePromise();
          const detail = stderr.trim().split('\n').slice(-3).join(' | ');
          reject(new Error(`${file.split(/[\\/]/).pop()} failed: ${detail || error.message}`));
        },
      );
    });
  }
}
