// `svcnet flow list`: the running site's flow records (ListFlows), as a plain table or JSON/YAML.
import { Command, Option } from 'commander';
import { print, parseFormat, UsageError } from './output.js';
import { withSession } from './session.js';
import type { FlowRecordMessage } from '../api/types.js';

const dirOption = () => new Option('--dir <dir>', 'site state directory (default: $SVCNET_DIR)');

/** Bytes for people: 512 B, 1.5 KiB, 20.0 MiB. */
export function humanBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** A table row: the id's first 8 characters, as `docker ps` shortens ids. */
function row(f: FlowRecordMessage, now: number): (string | number)[] {
  const end = f.endedAt ? Date.parse(f.endedAt) : now;
  const seconds = Math.max(0, end - Date.parse(f.startedAt)) / 1000;
  return [f.id.slice(0, 8), f.role, f.routingKey, `${f.listenerSite || '-'} -> ${f.connectorSite || '-'}`, f.client || '-', f.target || '-',
    f.startedAt.slice(11, 23), `${seconds.toFixed(3)}s`, humanBytes(f.bytesToServer), humanBytes(f.bytesToClient), f.ttfbMs >= 0 ? `${f.ttfbMs.toFixed(1)}ms` : '-', f.requestCount ? String(f.requestCount) : '-', f.active ? 'active' : f.outcome];
}

/** Adds `flow list`. */
export function addFlowCommands(program: Command): void {
  const cmd = program.command('flow').description('flows carried by the running site');
  cmd.command('list').description('active flows and the most recent ended ones, newest first').addOption(dirOption())
    .option('-r, --routing-key <key>', 'only flows of this routing key')
    .option('--site <name>', 'only flows whose listener or connector site is this one')
    .option('--outcome <outcome>', 'only ended flows with this outcome (closed, reset_by_client, reset_by_server, reset_by_network, aborted, refused, no_route)')
    .option('--active', 'only active flows')
    .option('--recent', 'only ended flows')
    .option('--limit <n>', 'at most this many (default 100, at most 1000)')
    .addOption(new Option('-o, --output <format>', 'json or yaml instead of a table'))
    .action(async (o) => {
      const format = parseFormat(o.output);
      if (o.active && o.recent) throw new UsageError('give --active or --recent, not both');
      if (o.limit !== undefined && !/^\d+$/.test(o.limit)) throw new UsageError(`--limit must be a number, not "${o.limit}"`);
      await withSession(o, async (s) => {
        const { flows } = await s.client.listFlows({ routingKey: o.routingKey, site: o.site, outcome: o.outcome, state: o.active ? 'active' : o.recent ? 'recent' : undefined, limit: o.limit === undefined ? undefined : Number(o.limit) });
        const now = Date.now();
        print(format, flows, ['ID', 'ROLE', 'ROUTING KEY', 'SITES', 'CLIENT', 'TARGET', 'STARTED', 'DURATION', 'TO SERVER', 'TO CLIENT', 'TTFB', 'REQUESTS', 'OUTCOME'], flows.map((f) => row(f, now)));
      });
    });
}
