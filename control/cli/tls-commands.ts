// `svcnet tls create|list|delete`: application TLS credentials that listeners and connectors name in
// tlsCredentials (issue 15), Skupper's TLS Secrets outside Kubernetes. `create` checks the files here
// and applies them as a kubernetes.io/tls Secret through the control API, so a running site takes
// them at once; they are stored as tls/NAME.json (0600).
import fs from 'node:fs';
import { Command, Option } from 'commander';
import { ValidationError } from '../resources/common.js';
import { applicationSecretDocument, checkTlsCredentials, describeCredentials, type TlsCredentials } from '../resources/tls-credentials.js';
import { print, parseFormat, UsageError, yaml } from './output.js';
import { withSession, appliesWhen } from './session.js';
import { nameArg } from './args.js';

const dirOption = () => new Option('--dir <dir>', 'site state directory (default: $SVCNET_DIR)');

/** A PEM file's text; a missing or unreadable file fails with the option that named it. */
function readPem(option: string, file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  try { return fs.readFileSync(file, 'utf8'); } catch (err) {
    throw new Error(`cannot read ${option} ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

const OPTION_OF: Record<string, string> = { cert: '--cert', key: '--key', ca: '--ca', name: 'name' };

/** Adds the `tls` command group. */
export function addTlsCommands(program: Command): void {
  const cmd = program.command('tls').description('application TLS credentials for listeners and connectors (tlsCredentials)');
  cmd.command('create <name>').description('store a certificate and key and/or CA certificates under NAME (replaces NAME if it exists)').addOption(dirOption())
    .option('--cert <file>', 'PEM certificate (chain): a listener presents it to clients; a connector with --use-client-cert to its server')
    .option('--key <file>', 'PEM private key of --cert')
    .option('--ca <file>', 'PEM CA certificates: a listener checks client certificates against them; a connector trusts them for its server')
    .action(async (name: string, o: { cert?: string; key?: string; ca?: string; dir?: string }) => {
      nameArg(name);
      if (!o.cert && !o.ca) throw new UsageError('give --cert FILE --key FILE, --ca FILE, or both');
      if (!!o.cert !== !!o.key) throw new UsageError(o.cert ? '--cert needs --key FILE (its private key)' : '--key needs --cert FILE (its certificate)');
      const c: TlsCredentials = { name, cert: readPem('--cert', o.cert), key: readPem('--key', o.key), ca: readPem('--ca', o.ca) };
      try { checkTlsCredentials(c); } catch (err) {
        if (err instanceof ValidationError) throw new Error(`TLS credentials ${name}: ${OPTION_OF[err.field] ?? err.field} ${o[err.field as 'cert'] ?? ''}: ${err.reason}`.replace(/ : /, ': '));
        throw err;
      }
      await withSession(o, async (s) => {
        await s.client.apply({ manifests: [{ source: `tls create ${name}`, text: yaml().stringify(applicationSecretDocument(c)) }] });
        const d = describeCredentials(c);
        const parts = [d.subject ? `certificate ${d.subject}, expires ${d.expires}` : '', d.cas ? `${d.cas} CA certificate${d.cas === 1 ? '' : 's'}` : ''].filter(Boolean);
        console.log(`TLS credentials ${name} stored (${parts.join('; ')}); ${appliesWhen(s.running)}`);
      });
    });
  cmd.command('list').description('show stored TLS credentials and what uses them').addOption(dirOption())
    .addOption(new Option('-o, --output <format>', 'json or yaml instead of a table'))
    .action(async (o: { dir?: string; output?: string }) => {
      const format = parseFormat(o.output);
      await withSession(o, async (s) => {
        const users = await usersOf(s);
        const rows = s.store.listTlsCredentials().map((name) => {
          const d = describeCredentials({ name, ...s.store.readTlsCredentials(name) });
          return { ...d, usedBy: users.get(name) ?? [] };
        });
        print(format, rows, ['NAME', 'CERTIFICATE', 'EXPIRES', 'KEY', 'CAS', 'USED BY'], rows.map((r) => [r.name, r.subject || '-', r.expires || '-', r.key ? 'yes' : 'no', r.cas, r.usedBy.join(', ') || '-']));
      });
    });
  cmd.command('delete <name>').description('remove stored TLS credentials (refused while a listener or connector names them)').addOption(dirOption())
    .action(async (name: string, o: { dir?: string }) => {
      nameArg(name);
      await withSession(o, async (s) => {
        const by = (await usersOf(s)).get(name);
        if (by?.length) throw new Error(`TLS credentials ${name} are used by ${by.join(', ')}; delete those or change their tlsCredentials first`);
        if (!(await s.store.deleteTlsCredentials(name))) throw new Error(`no TLS credentials named ${name}`);
        console.log(`TLS credentials ${name} deleted`);
      });
    });
}

/** Listeners and connectors by the credentials they name ("listener web"). */
async function usersOf(s: Awaited<Parameters<Parameters<typeof withSession>[1]>[0]>): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const kind of ['Listener', 'Connector'] as const) {
    for (const r of (await s.client.list({ kind })).resources) {
      const creds = (r[kind === 'Listener' ? 'listener' : 'connector'] as { tlsCredentials?: string } | null)?.tlsCredentials;
      if (creds) out.set(creds, [...(out.get(creds) ?? []), `${kind.toLowerCase()} ${r.metadata.name}`]);
    }
  }
  return out;
}
