// CLI commands for certificates and access: `site rotate-certificates`, `site policy`,
// `site certificates`, `grant list|delete`. Every change goes through the API (the running site's
// socket, or the handlers on a stopped site's directory), so it never races the site's own writes
// and the running site applies it at once; `site certificates` and `grant list` only read files.
import type { Command } from 'commander';
import { SiteStore } from '../state/site-store.js';
import { print, parseFormat, UsageError } from '../cli/output.js';
import { loadIssued } from './registry.js';
import { currentRevocations } from '../grants.js';
import { certInfo, parseLifetime } from './ca.js';
import { trustedCas } from './trust.js';
import { nameArg } from '../cli/args.js';
import { withSession, appliesWhen, siteDir } from '../cli/session.js';
import type { Policy } from '../api/types.js';

const open = (o: { dir?: string }): SiteStore => SiteStore.open(siteDir(o));

function list(v: string, all: string): string[] | null {
  if (v === all) return null;
  const items = v.split(',').map((x) => x.trim()).filter(Boolean);
  return items;
}

/** Adds the PKI commands to the program (called once from cli/main.ts). */
export function addPkiCommands(program: Command): void {
  const find = (name: string) => program.commands.find((c) => c.name() === name) ?? program.command(name);
  const site = find('site');
  site.command('rotate-certificates').description('new site CA and server certificate; the old CA stays trusted until its certificates expire')
    .option('--dir <dir>', 'site state directory (default: $SVCNET_DIR)')
    .option('--overlap <duration>', 'how long the old CA stays trusted (default: one certificate lifetime)')
    .action(async (o) => {
      const overlapMs = o.overlap === undefined ? undefined : parseLifetime(o.overlap);
      if (o.overlap !== undefined && (overlapMs === undefined || overlapMs < 1000)) throw new UsageError(`--overlap "${o.overlap}" must be at least 1s, like 30s, 15m, 2h or 7d`);
      await withSession(o, async (s) => {
        const r = await s.client.rotateCertificates({ overlapSeconds: overlapMs === undefined ? 0 : Math.ceil(overlapMs / 1000) });
        console.log(`CA rotated; renewed: ${r.renewed.join(', ')}; linked sites get the new CA at their next renewal; ${appliesWhen(s.running)}`);
      });
    });
  site.command('policy').description('show or change who may link here and which routing keys are exposed')
    .option('--dir <dir>', 'site state directory (default: $SVCNET_DIR)')
    .option('--link-access <on|off>', 'accept inbound links and token redemptions at all')
    .option('--allow-peers <names>', 'comma-separated site names that may link here, or "any"')
    .option('--expose-keys <keys>', 'comma-separated routing keys connectors may serve to the network, or "all"')
    .option('--inbound-link-cost <n>', 'lowest cost an inbound link may have here (1..1000000; a dialer asking for less gets this)')
    .option('--bench <on|off>', 'serve other sites\' `svcnet bench` streams (default on)')
    .option('-o, --output <format>', 'json or yaml instead of a table')
    .action(async (o) => {
      const format = parseFormat(o.output);
      // Only the fields given change (update_mask), read and written under the site's lock.
      const policy: Partial<Policy> = {};
      const mask: string[] = [];
      if (o.linkAccess !== undefined) {
        if (o.linkAccess !== 'on' && o.linkAccess !== 'off') throw new UsageError(`--link-access must be on or off, not "${o.linkAccess}"`);
        policy.linkAccess = o.linkAccess === 'on';
        mask.push('link_access');
      }
      if (o.allowPeers !== undefined) {
        const peers = list(o.allowPeers, 'any');
        Object.assign(policy, { allowAnyPeer: peers === null, allowedPeers: peers ?? [] });
        mask.push('allowed_peers');
      }
      if (o.exposeKeys !== undefined) {
        const keys = list(o.exposeKeys, 'all');
        Object.assign(policy, { exposeAllKeys: keys === null, exposedKeys: keys ?? [] });
        mask.push('exposed_keys');
      }
      if (o.inboundLinkCost !== undefined) {
        if (!/^\d+$/.test(o.inboundLinkCost)) throw new UsageError(`--inbound-link-cost must be a whole number 1..1000000, not "${o.inboundLinkCost}"`);
        policy.inboundLinkCost = Number(o.inboundLinkCost);
        mask.push('inbound_link_cost');
      }
      if (o.bench !== undefined) {
        if (o.bench !== 'on' && o.bench !== 'off') throw new UsageError(`--bench must be on or off, not "${o.bench}"`);
        policy.refuseBench = o.bench === 'off';
        mask.push('refuse_bench');
      }
      await withSession(o, async (s) => {
        let saved: Policy;
        try {
          saved = mask.length ? (await s.client.setPolicy({ policy, updateMask: mask })).policy : await s.client.getPolicy();
        } catch (err) {
          const { ApiError } = await import('../api/errors.js'); // loaded with the session's client: no gRPC at startup
          throw err instanceof ApiError && err.code === 'SVCNET_ERR_INVALID_ARGUMENT' ? new UsageError(`invalid policy: ${err.message}`) : err;
        }
        const shown = { linkAccess: saved.linkAccess, allowedPeers: saved.allowAnyPeer ? null : saved.allowedPeers, exposedKeys: saved.exposeAllKeys ? null : saved.exposedKeys, inboundLinkCost: Number(saved.inboundLinkCost), bench: !saved.refuseBench };
        print(format, shown, ['LINK ACCESS', 'ALLOWED PEERS', 'EXPOSED KEYS', 'INBOUND LINK COST', 'BENCH'],
          [[shown.linkAccess ? 'on' : 'off', shown.allowedPeers?.join(',') ?? 'any', shown.exposedKeys?.join(',') ?? 'all', String(shown.inboundLinkCost), shown.bench ? 'on' : 'off']]);
        if (mask.length && !o.output) console.log(`policy saved; ${appliesWhen(s.running)}`);
      });
    });
  site.command('certificates').description('the CA, the server certificate and the certificates issued to other sites')
    .option('--dir <dir>', 'site state directory (default: $SVCNET_DIR)')
    .option('-o, --output <format>', 'json or yaml instead of a table')
    .action((o) => {
      const store = open(o);
      const revoked = currentRevocations(store);
      const ca = certInfo(store.readCa().cert);
      const server = certInfo(store.readServerCert().cert);
      const rows = [
        { kind: 'ca', subject: ca.commonName, serial: ca.serial, notAfter: ca.notAfter.toISOString(), state: `trusted (${trustedCas(store).length} CA${trustedCas(store).length > 1 ? 's, rotation overlap' : ''})`, grant: '' },
        { kind: 'server', subject: server.commonName, serial: server.serial, notAfter: server.notAfter.toISOString(), state: 'in use', grant: '' },
        ...loadIssued(store).map((e) => ({ kind: 'issued', subject: e.site, serial: e.serial, notAfter: e.notAfter, grant: e.grant,
          state: revoked.has(e.lineage) ? 'revoked' : Date.parse(e.notAfter) <= Date.now() ? 'expired' : 'valid' })),
      ];
      print(parseFormat(o.output), rows, ['KIND', 'SUBJECT', 'SERIAL', 'NOT AFTER', 'GRANT', 'STATE'], rows.map((r) => [r.kind, r.subject, r.serial, r.notAfter, r.grant || '-', r.state]));
    });

  const grant = find('grant').description('access grants: permissions to join this site');
  grant.command('list').description('grants, their expiry and redemptions').option('--dir <dir>', 'site state directory').option('-o, --output <format>', 'json or yaml')
    .action((o) => {
      const store = open(o);
      const rows = store.list('AccessGrant').map((g) => {
        const x = g as { metadata: { name: string }; spec: { expiresAt: string; redemptionsAllowed: number }; status?: { redeemed: number; issued: { site: string }[] } };
        return { name: x.metadata.name, expiresAt: x.spec.expiresAt, redemptions: `${x.status?.redeemed ?? 0}/${x.spec.redemptionsAllowed}`, sites: [...new Set(x.status?.issued.map((i) => i.site))].join(',') };
      });
      print(parseFormat(o.output), rows, ['NAME', 'EXPIRES', 'REDEEMED', 'SITES'], rows.map((r) => [r.name, r.expiresAt, r.redemptions, r.sites || '-']));
    });
  grant.command('delete <name>').description('delete a grant: unused tokens stop working and certificates issued through it are revoked')
    .option('--dir <dir>', 'site state directory')
    .action(async (name: string, o) => {
      nameArg(name); // a usage error (exit 2) as in every command (issue 15)
      await withSession(o, async (s) => {
        try {
          await s.client.delete({ refs: [{ kind: 'AccessGrant', name }] });
        } catch (err) {
          const { ApiError } = await import('../api/errors.js');
          throw err instanceof ApiError && err.code === 'SVCNET_ERR_NOT_FOUND' ? new Error(`no grant named ${name}`) : err;
        }
        const sites = [...new Set(loadIssued(s.store).filter((e) => e.grant === name).map((e) => e.site))];
        console.log(`grant ${name} deleted${sites.length ? `; certificates of ${sites.join(', ')} revoked` : ''}; ${appliesWhen(s.running)}`);
      });
    });
}
