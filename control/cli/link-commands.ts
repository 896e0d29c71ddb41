// `svcnet token issue|redeem`, `svcnet link status|delete`, `svcnet network status`: joining
// sites and looking at the network, through the control API.
import { Command, Option } from 'commander';
import { writeFileAtomic } from '../state/atomic.js';
import { grantRequestProblem, GRANT_LIMITS } from '../resources/access-grant.js';
import { print, parseFormat, UsageError } from './output.js';
import { nameArg, intArg, parseDuration } from './args.js';
import { networkDocument, networkTables } from './network-view.js';
import { waitOptions, waitRequest, waitReady } from './wait.js';
import { withSession, appliesWhen } from './session.js';
import { addAlias } from './flag-alias.js';
import { addLinkGenerate } from './link-generate.js';

const dirOption = () => new Option('--dir <dir>', 'site state directory (default: $SVCNET_DIR)');
const outputOption = () => new Option('-o, --output <format>', 'json or yaml instead of a table');

/** Adds token, link and network commands. */
export function addLinkCommands(program: Command): void {
  const token = program.command('token').description('issue and redeem tokens that let a site link to this one');
  const issue = token.command('issue <file>').description('create a one-time grant and write its token file (mode 0600)').addOption(dirOption())
    .option('--expiry <duration>', 'how long the token is valid (e.g. 15m, 2h)', '15m')
    .option('--redemptions <n>', 'how many times it may be redeemed', intArg('--redemptions'), 1);
  addAlias(addAlias(issue, '--expiration-window <duration>', '--expiry'), '--redemptions-allowed <n>', '--redemptions', intArg('--redemptions-allowed'))
    .action(async (file: string, o) => {
      // Refused here, not silently changed: 0 would mean "the default" to the API (issue 10 #12, issue 15).
      const bad = grantRequestProblem({ expiryMs: parseDuration(o.expiry), redemptions: o.redemptions });
      // Name the flag as typed: Skupper's spelling or ours.
      if (bad?.field === 'expiry') throw new UsageError(`${o.expirationWindow !== undefined ? '--expiration-window' : '--expiry'} must be 1s..30d, not "${o.expiry}"`);
      if (bad) throw new UsageError(`${o.redemptionsAllowed !== undefined ? '--redemptions-allowed' : '--redemptions'} must be ${GRANT_LIMITS.minRedemptions}..${GRANT_LIMITS.maxRedemptions}, not ${o.redemptions}`);
      const expirySeconds = Math.ceil(parseDuration(o.expiry) / 1000);
      await withSession(o, async (s) => {
        const t = await s.client.issueToken({ expirySeconds, redemptions: o.redemptions });
        writeFileAtomic(file, t.yaml, 0o600);
        console.log(`token written to ${file} (grant ${t.token.metadata.name}, valid ${o.expiry}, ${o.redemptions} redemption${o.redemptions === 1 ? '' : 's'}); redeem it with "svcnet token redeem ${file} --dir OTHER_SITE"`);
      });
    });
  waitOptions(token.command('redeem <file>').description('redeem a token: get a link certificate and link to the issuing site; with --wait, an issuing site that cannot be reached yet is retried until --timeout').addOption(dirOption()))
    .option('--name <name>', 'name of the Link to create (default: link-ISSUING_SITE)')
    .option('--cost <n>', 'link cost for routing', intArg('--cost'), 1)
    .action(async (file: string, o) => {
      const waitMs = waitRequest(o);
      const { readToken } = await import('../token.js'); // with the grant client: only this command needs it
      const t = readToken(file);
      const name = o.name ?? `link-${t.spec.site ?? 'peer'}`;
      await withSession(o, async (s) => {
        const { retryUnavailable } = await import('./redeem-retry.js');
        const redeem = () => s.client.apply({ resources: [{ kind: 'AccessToken', metadata: { name }, accessToken: { ...t.spec, linkCost: o.cost } }], createOnly: true });
        // With --wait, an issuing site that is still starting is waited for too.
        await (waitMs === undefined ? redeem() : retryUnavailable(redeem, waitMs, (l) => console.error(`token redeem: ${l}`)));
        console.log(`link ${name} to site ${t.spec.site ?? t.spec.url} created; ${appliesWhen(s.running)}`);
        if (waitMs !== undefined) await waitReady(s, 'Link', name, waitMs);
      });
    });

  const link = program.command('link').description('inspect and delete links');
  addLinkGenerate(link);
  link.command('status').description('show links (outbound and inbound) and whether they are up').addOption(dirOption()).addOption(outputOption())
    .action(async (o) => {
      const format = parseFormat(o.output);
      await withSession(o, async (s) => {
        const links = s.running
          ? (await s.client.getMetrics()).links.map((l) => ({ name: l.name, direction: l.direction, status: l.state, message: l.message, peer: l.peerSite || undefined, cost: l.cost }))
          : (await s.client.list({ kind: 'Link' })).resources.map((r) => ({ name: r.metadata.name, direction: 'outbound', status: r.status?.state ?? '', message: r.status?.message ?? '', peer: (r.link?.peerSite as string) || undefined, cost: r.link?.cost as number }));
        print(format, links, ['NAME', 'DIRECTION', 'PEER', 'COST', 'STATUS', 'MESSAGE'], links.map((l) => [l.name, l.direction, l.peer, l.cost, l.status, l.message]));
      });
    });
  link.command('delete <name>').description('delete an outbound link, or the inbound link of site NAME (revokes its certificates)').addOption(dirOption())
    .action(async (name: string, o) => {
      await withSession(o, async (s) => {
        try {
          await s.client.delete({ refs: [{ kind: 'Link', name: nameArg(name) }] });
        } catch (err) {
          const { ApiError } = await import('../api/errors.js'); // loaded with the session's client: no gRPC at startup
          if (!(err instanceof ApiError && err.code === 'SVCNET_ERR_NOT_FOUND')) throw err;
          // Not an outbound link: the inbound link of peer site NAME. Deleting it revokes its certificates.
          try {
            await s.client.revokeSite({ site: name, reason: 'inbound link deleted' });
          } catch (e) {
            // NOT_FOUND: nothing issued to such a site; INVALID_ARGUMENT: a resource name that is no site name.
            if (e instanceof ApiError && (e.code === 'SVCNET_ERR_NOT_FOUND' || e.code === 'SVCNET_ERR_INVALID_ARGUMENT')) throw new Error(`no link named ${name}`);
            throw e;
          }
          console.log(`inbound link from site ${name} deleted: its certificates are revoked; ${appliesWhen(s.running)}`);
          return;
        }
        console.log(`link ${name} deleted; ${appliesWhen(s.running)}`);
      });
    });

  program.command('network').description('the whole network as this site sees it')
    .command('status').description('sites, their links and routing keys, with path cost from here').addOption(dirOption()).addOption(outputOption())
    .action(async (o) => {
      const format = parseFormat(o.output);
      await withSession(o, async (s) => {
        const n = await s.client.getNetwork();
        if (format !== 'table') { print(format, networkDocument(n), [], []); return; }
        networkTables(n).forEach((t, i) => { if (i) process.stdout.write('\n'); print('table', null, t.headers, t.rows); });
      });
    });
}
