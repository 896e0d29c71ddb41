// Real applications from Debian for tests, each on a loopback port in a temp dir and stopped by
// pid (or by its own stop command) in `stop()`: redis-server, nginx (HTTP/1.1 and h2c), PostgreSQL.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface App { name: string; stop(): Promise<void> }

/** Path of a program, or undefined when it is not installed. */
export function which(prog: string, extra: string[] = []): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/lib/postgresql/15/bin', ...extra]) {
    const p = path.join(dir, prog);
    if (fs.existsSync(p)) return p;
  }
  return undefined;
}

function stopChild(c: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) return resolve();
    c.once('exit', () => resolve());
    c.kill('SIGTERM');
    setTimeout(() => c.kill('SIGKILL'), 5000).unref();
  });
}

export function startRedis(port: number, dir: string): App {
  const c = spawn(which('redis-server')!, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  return { name: 'redis', stop: () => stopChild(c) };
}

/** Writes DIR/nginx.conf for Debian's nginx run by a test: one process in the foreground, every file in `dir`,
 *  and `http` (its directives and server blocks) inside the http block. Returns the file's path. */
export function nginxConfig(dir: string, http: string): string {
  const conf = path.join(dir, 'nginx.conf');
  fs.writeFileSync(conf, `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
${http}
}
`);
  return conf;
}

/** Runs nginx on `conf` (nginxConfig) with prefix `dir`; stopped by pid. */
export function runNginx(conf: string, dir: string): App {
  const c = spawn(which('nginx')!, ['-c', conf, '-p', dir], { stdio: 'ignore' });
  return { name: 'nginx', stop: () => stopChild(c) };
}

/** nginx serving `root`: HTTP/1.1 on `http1Port`, cleartext HTTP/2 (prior knowledge) on `h2Port`. */
export function startNginx(http1Port: number, h2Port: number, dir: string, root: string): App {
  return runNginx(nginxConfig(dir, `  access_log off;
  default_type application/octet-stream;
  server { listen 127.0.0.1:${http1Port}; root ${root}; }
  server { listen 127.0.0.1:${h2Port} http2; root ${root}; }`), dir);
}

/** A throwaway PostgreSQL cluster (trust auth on loopback), run as the postgres user in its own temp dir. */
export function startPostgres(port: number): App {
  // The test's temp dirs are 0700 root; the server runs as postgres, so it gets a dir of its own.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svcnet-pg-'));
  const data = path.join(dir, 'pgdata');
  fs.mkdirSync(data);
  execFileSync('chown', ['-R', 'postgres', dir]);
  const asPg = (cmd: string[]) => execFileSync('runuser', ['-u', 'postgres', '--', ...cmd], { stdio: 'pipe' });
  asPg([which('initdb')!, '-D', data, '--auth=trust', '-U', 'postgres', '--no-sync']);
  asPg([which('pg_ctl')!, '-D', data, '-l', path.join(dir, 'pg.log'), '-w', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
  return {
    name: 'postgres',
    stop: async () => {
      try { asPg([which('pg_ctl')!, '-D', data, '-m', 'fast', '-w', 'stop']); } finally { fs.rmSync(dir, { recursive: true, force: true }); }
    },
  };
}
