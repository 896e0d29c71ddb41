// `svcnet apply -f`, `svcnet delete`, `svcnet get`: the declarative commands, as in kubectl and
// Skupper v2. Files may hold svcnet.io/v1 or skupper.io/v2alpha1 documents.
import { Command, Option } from 'commander';
import { KINDS, type Kind } from '../resources/common.js';
import { kindFromName } from '../resources/kinds.js';
import { nameArg } from './args.js';
import { print, parseFormat, UsageError, yaml } from './output.js';
import { withSession, appliesWhen, siteDir } from './session.js';
import { writeFileAtomic } from '../state/atomic.js';
import { readManifests } from './manifests.js';
import { toDocument, COLUMNS } from './render.js';
import type { Resource } from '../api/types.js';

const dirOption = () => new Option('--dir <dir>', 'site state directory (default: $SVCNET_DIR)');
const collect = (v: string, prev: string[]) => [...prev, v];

function kindArg(v: string): Kind {
  const k = kindFromName(v);
  if (!k) throw new UsageError(`unknown kind "${v}"; expected one of ${KINDS.join(', ')}`);
  return k;
}

/** Prints resources as documents (yaml/json) or a table per kind. */
export function printResources(format: string | undefined, resources: Resource[], single: boolean): void {
  const f = parseFormat(format);
  const docs = resources.map(toDocument);
  if (f === 'yaml') { process.stdout.write(docs.map((d) => yaml().stringify(d)).join('---\n')); return; }
  if (f === 'json') { process.stdout.write(JSON.stringify(single ? docs[0] : docs, null, 2) + '\n'); return; }
  if (resources.length === 0) { process.stdout.write('none\n'); return; }
  const kinds = [...new Set(resources.map((r) => r.kind as Kind))];
  kinds.forEach((k, i) => {
    if (kinds.length > 1) process.stdout.write(`${i ? '\n' : ''}${k}\n`);
    const cols = COLUMNS[k];
    print('table', null, cols.map((c) => c[0]), resources.filter((r) => r.kind === k).map((r) => cols.map((c) => c[1](r) as string)));
  });
}

/** Adds apply, delete and get. */
export function addResourceCommands(program: Command): void {
  program.command('apply').description('create or update resources from YAML/JSON files (svcnet.io/v1 or skupper.io/v2alpha1); all or nothing')
    .addOption(dirOption())
    .option('-f, --filename <path>', 'file, directory of .yaml/.yml/.json files, or - for standard input (repeatable)', collect, [])
    .option('--dry-run', 'validate and show what would change, write nothing', false)
    .option('-o, --output <format>', 'json or yaml: print the API response')
    .option('--token-file <file>', 'where to write the token of an AccessGrant applied without a code (mode 0600; default: printed after the results)')
    .action(async (o) => {
      const manifests = readManifests(o.filename);
      if (o.output) parseFormat(o.output);
      // A Site applied to an empty directory creates the site, as `skupper system` does.
      if (!o.dryRun) {
        const { createSiteFromManifests } = await import('./site-from-manifest.js');
        const made = await createSiteFromManifests(siteDir(o), manifests);
        if (made) console.log(made);
      }
      await withSession(o, async (s) => {
        const res = await s.client.apply({ manifests, dryRun: o.dryRun });
        for (const w of res.warnings) process.stderr.write(`warning: ${w}\n`);
        const tokens = res.results.filter((r) => r.tokenYaml);
        if (o.tokenFile && tokens.length > 1) process.stderr.write(`warning: ${tokens.length} grants were made without a code; --token-file holds their tokens as one YAML stream\n`);
        if (o.tokenFile && tokens.length) writeFileAtomic(o.tokenFile, tokens.map((r) => r.tokenYaml).join('---\n'), 0o600);
        if (o.output) { print(parseFormat(o.output), res, [], []); return; }
        for (const r of res.results) console.log(`${r.resource.kind} ${r.resource.metadata.name} ${r.action}`);
        for (const r of tokens) {
          if (o.tokenFile) { console.log(`the token of AccessGrant ${r.resource.metadata.name} is in ${o.tokenFile}; redeem it with "svcnet token redeem ${o.tokenFile}" on the joining site`); continue; }
          console.log(`# the token of AccessGrant ${r.resource.metadata.name}, shown once (the site keeps only a hash of its code):\n# save the YAML below and redeem it with "svcnet token redeem FILE" on the joining site\n---\n${r.tokenYaml}---`);
        }
        if (!o.dryRun) console.log(`${res.results.length} resource${res.results.length === 1 ? '' : 's'} applied; ${appliesWhen(s.running)}`);
      });
    });
  program.command('delete [kind] [name]').description('delete resources named in files (-f) or by KIND NAME; all or nothing')
    .addOption(dirOption())
    .option('-f, --filename <path>', 'file, directory, or - (repeatable); only kind and metadata.name are read', collect, [])
    .option('--ignore-not-found', 'skip resources that do not exist instead of failing', false)
    .action(async (kind: string | undefined, name: string | undefined, o) => {
      if (o.filename.length === 0 && !(kind && name)) throw new UsageError('give -f FILE or KIND NAME');
      if (o.filename.length > 0 && kind) throw new UsageError('give either -f FILE or KIND NAME, not both');
      const manifests = o.filename.length ? readManifests(o.filename) : [];
      const refs = kind && name ? [{ kind: kindArg(kind), name: nameArg(name) }] : [];
      await withSession(o, async (s) => {
        const res = await s.client.delete({ refs, manifests, ignoreNotFound: o.ignoreNotFound });
        for (const r of res.deleted) console.log(`${r.kind} ${r.name} deleted`);
        for (const r of res.notFound) console.log(`${r.kind} ${r.name} not found (ignored)`);
        console.log(`${res.deleted.length} resource${res.deleted.length === 1 ? '' : 's'} deleted; ${appliesWhen(s.running)}`);
      });
    });
  program.command('get <kind> [name]').description(`show resources with their status; KIND is one of ${KINDS.join(', ')} (or "all")`)
    .addOption(dirOption())
    .option('-o, --output <format>', 'json or yaml instead of a table (the yaml can be applied again)')
    .action(async (kind: string, name: string | undefined, o) => {
      const k = kind === 'all' ? undefined : kindArg(kind);
      if (!k && name) throw new UsageError('"get all" takes no name');
      if (name !== undefined) nameArg(name);
      parseFormat(o.output);
      await withSession(o, async (s) => {
        const resources = name ? [await s.client.get({ kind: k!, name })] : (await s.client.list({ kind: k })).resources;
        printResources(o.output, resources, !!name);
      });
    });
}
