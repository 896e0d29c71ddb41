// `svcnet admin issue NAME`: an API client certificate for a remote orchestrator (key made here,
// CSR signed by the site), and `svcnet events`: the site's Watch stream as JSON lines.
import path from 'node:path';
import { Command, Option } from 'commander';
import { createCsr } from '../pki/ca.js';
import { writeFileAtomic } from '../state/atomic.js';
import { EVENT_TYPES, type EventType } from '../api/types.js';
import { UsageError } from './output.js';
import { withSession } from './session.js';
import { nameArg } from './args.js';

const dirOption = () => new Option('--dir <dir>', 'site state directory (default: $SVCNET_DIR)');

/** Adds admin and events. */
export function addAdminCommands(program: Command): void {
  const admin = program.command('admin').description('credentials for remote orchestrators of the control API');
  admin.command('issue <name>').description('write NAME.key, NAME.crt and ca.crt: a client certificate for the mTLS control API')
    .addOption(dirOption())
    .option('--out <dir>', 'where to write the files', '.')
    .option('--days <n>', 'validity in days', '60')
    .action(async (name: string, o) => {
      if (!/^\d+$/.test(o.days) || Number(o.days) < 1) throw new UsageError(`--days must be a positive number, not "${o.days}"`);
      nameArg(name); // it becomes NAME.key and NAME.crt in --out
      await withSession(o, async (s) => {
        const { ADMIN_CN_PREFIX } = await import('../api/tokens.js');
        const { key, csr } = await createCsr(`${ADMIN_CN_PREFIX}${name}`);
        const res = await s.client.issueAdminCertificate({ name, csr, days: Number(o.days) });
        writeFileAtomic(path.join(o.out, `${name}.key`), key, 0o600);
        writeFileAtomic(path.join(o.out, `${name}.crt`), res.certificate);
        writeFileAtomic(path.join(o.out, 'ca.crt'), res.ca);
        const cfg = s.store.readConfig();
        const endpoint = res.endpoint || (cfg.apiPort ? `${cfg.linkAccess.host}:${cfg.apiPort}` : '');
        console.log(`API client certificate for ${name} written to ${path.join(o.out, `${name}.crt`)} (key ${name}.key, CA ca.crt)${endpoint ? `; the API listens on ${endpoint}` : '; the site has no API port: create it with --api-port or apply a Site with spec.apiPort'}`);
      });
    });
  program.command('events').description('stream the running site\'s events (links, routes, flows, resource changes) as JSON lines until Ctrl-C')
    .addOption(dirOption())
    .option('--types <list>', `comma-separated: ${EVENT_TYPES.filter((t) => t !== 'SYNC').join(',')}`)
    .action(async (o) => {
      const types = o.types ? String(o.types).split(',').map((t) => t.trim().toUpperCase()) : [];
      for (const t of types) if (!EVENT_TYPES.includes(t as EventType)) throw new UsageError(`unknown event type "${t}"`);
      await withSession(o, async (s) => {
        if (!s.running) throw new Error(`site ${s.store.readConfig().name} is not running; start it with "svcnet site run --dir ${s.store.dir}"`);
        await new Promise<void>((resolve, reject) => {
          const w = s.client.watch({ types: types as EventType[] }, (e) => process.stdout.write(JSON.stringify(e) + '\n'), (err) => (err ? reject(err) : resolve()));
          process.once('SIGINT', () => { w.cancel(); resolve(); });
        });
      });
    });
}
