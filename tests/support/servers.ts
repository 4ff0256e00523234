// Throwaway PostgreSQL and Redis servers on loopback for the team-server tests and benches. Each run starts its
// own (data in a temp folder, random free ports, random passwords) and stops them at the end; the Debian
// packages' own services are never used. The servers ask for passwords, so the tests also see that credentials
// in the URLs never leak.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
// @ts-expect-error plain .mjs module shared with `npm test`'s own checks
import { postgresBinDir } from '../../scripts/test-prerequisites.mjs';

export interface RunningServer {
  url: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * PostgreSQL refuses to run as root: there, initdb and postgres run as the packages' `postgres` user. The
 * process is PostgreSQL itself (no runuser in between), so stop()'s signal reaches it.
 */
function serverUser(): { uid?: number; gid?: number } {
  return process.getuid?.() === 0 ? userIds('postgres') : {};
}

export interface PostgresOptions {
  /** fsync on, as a production server runs (the benches' numbers); off by default for the tests' speed. */
  fsync?: boolean;
}

export async function startPostgres(options: PostgresOptions = {}): Promise<RunningServer> {
  const bin = postgresBinDir() as string | null;
  if (!bin) throw new Error('PostgreSQL server binaries not found: run `bash .ci/install-system.sh` as root');
  const dir = mkdtempSync(path.join(tmpdir(), 'hps-postgres-'));
  const password = randomBytes(12).toString('hex');
  writeFileSync(path.join(dir, 'pwfile'), password);
  const user = serverUser();
  if (user.uid !== undefined) {
    chownSync(dir, user.uid, user.gid!);
    chownSync(path.join(dir, 'pwfile'), user.uid, user.gid!);
  }
  chmodSync(dir, 0o700);
  const data = path.join(dir, 'data');
  const init = spawnSync(
    path.join(bin, 'initdb'),
    [
      ...['-D', data, '-U', 'hps', '--pwfile', path.join(dir, 'pwfile')],
      ...['--auth', 'scram-sha-256', '--encoding', 'UTF8', '--no-locale', '--no-sync'],
    ],
    { encoding: 'utf8', cwd: dir, ...user },
  );
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const port = await freePort();
  // fsync off unless asked: a throwaway test server, where speed matters and a power cut loses nothing of value.
  const child = spawn(
    path.join(bin, 'postgres'),
    [
      ...['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1'],
      ...['-c', `fsync=${options.fsync ? 'on' : 'off'}`, '-c', 'max_connections=200'],
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir, ...user },
  );
  const url = `postgres://hps:${password}@127.0.0.1:${port}/postgres`;
  await waitFor(async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.end();
  }, child);
  return {
    url,
    stop: () => stopChild(child, 'SIGINT').then(() => rmSync(dir, { recursive: true, force: true })),
  };
}

export async function startRedis(): Promise<RunningServer> {
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const child = spawn(
    'redis-server',
    [
      ...['--port', String(port), '--bind', '127.0.0.1', '--requirepass', password],
      ...['--save', '', '--appendonly', 'no', '--dir', tmpdir()],
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const url = `redis://:${password}@127.0.0.1:${port}`;
  await waitFor(async () => {
    const { Redis } = await import('ioredis');
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    client.on('error', () => {}); // not up yet: connect() rejects, and the loop tries again
    try {
      await client.connect();
      await client.ping();
    } finally {
      client.disconnect();
    }
  }, child);
  return { url, stop: () => stopChild(child, 'SIGTERM') };
}

/** A fresh, empty database on the server of `adminUrl`; returns its URL. */
export async function createDatabase(adminUrl: string, prefix = 'hps_test'): Promise<string> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

function userIds(name: string): { uid: number; gid: number } {
  const id = (flag: string) => Number(spawnSync('id', [flag, name], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

async function waitFor(ready: () => Promise<void>, child: ChildProcess): Promise<void> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}): ${stderr}`);
    try {
      return await ready();
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(`server did not come up: ${String(error)}\n${stderr}`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Asks the server to stop (PostgreSQL: SIGINT, a fast shutdown), and kills it if it has not within 10 s. */
async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  const hard = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(hard);
}
