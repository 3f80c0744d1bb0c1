import { execFile } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './mosquitto.js';

const run = promisify(execFile);

function binDir(): string {
  const versions = readdirSync('/usr/lib/postgresql')
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  if (!versions[0]) throw new Error('Debian postgresql is not installed (scripts/lib/install-deps)');
  return `/usr/lib/postgresql/${versions[0]}/bin`;
}

export interface Postgres {
  url: string;
  dir: string;
  stop(): Promise<void>;
}

/**
 * A throwaway PostgreSQL cluster: its own data dir, unix socket only (no TCP
 * listener) on a free port number, trust auth for the local postgres user;
 * fsync off unless asked for (tests want speed, benchmarks honest figures).
 * Call stop() in t.teardown so it goes even when the test fails.
 */
export async function startPostgres(opts: { fsync?: boolean } = {}): Promise<Postgres> {
  const dir = mkdtempSync(join(tmpdir(), 'qlink-pg-'));
  const asRoot = userInfo().uid === 0;
  const bin = binDir();
  // initdb refuses to run as root: the cluster belongs to the postgres user.
  const as = (cmd: string, args: string[]) => (asRoot ? run('runuser', ['-u', 'postgres', '--', cmd, ...args]) : run(cmd, args));
  const user = asRoot ? 'postgres' : userInfo().username;
  const port = await freePort();
  const stop = async () => {
    await as(`${bin}/pg_ctl`, ['-D', dir, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    if (asRoot) chownSync(dir, userIdOf('postgres'), groupIdOf('postgres'));
    await as(`${bin}/initdb`, ['-D', dir, '-U', user, '-A', 'trust', '--no-sync', '-E', 'UTF8']);
    await as(`${bin}/pg_ctl`, [
      '-D',
      dir,
      '-w',
      '-l',
      join(dir, 'log'),
      '-o',
      `-k ${dir} -p ${port} -c listen_addresses='' -c fsync=${opts.fsync ? 'on' : 'off'} -c max_connections=100`,
      'start',
    ]);
  } catch (e) {
    await stop();
    throw e;
  }
  return { url: `postgresql://${user}@/postgres?host=${encodeURIComponent(dir)}&port=${port}`, dir, stop };
}

/** A fresh database in the cluster, so tests sharing one cluster do not see each other's rows. */
export async function createDatabase(pg: Postgres, name: string): Promise<string> {
  const { default: pgLib } = await import('pg');
  const c = new pgLib.Client({ connectionString: pg.url });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  return pg.url.replace('/postgres?', `/${name}?`);
}

const idOf = (file: string, name: string): number => {
  const line = readFileSync(file, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(name + ':'));
  if (!line) throw new Error(`no ${name} in ${file}`);
  return Number(line.split(':')[2]);
};
const userIdOf = (n: string) => idOf('/etc/passwd', n);
const groupIdOf = (n: string) => idOf('/etc/group', n);
