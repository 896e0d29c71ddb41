// `svcnet link generate PEER --peer-id ID [-o FILE]`: a Link and its credentials in one YAML for site
// PEER to apply (`svcnet apply -f`), linking without a token (control/link-generate.ts, through the API).
import { Command, Option } from 'commander';
import { writeFileAtomic } from '../state/atomic.js';
import { withSession } from './session.js';
import { intArg, newNameArg } from './args.js';
import { UsageError } from './output.js';
import { LINK_FORMATS, toSkupperLinkYaml } from './skupper-link.js';

/** Adds `generate` to the link command group. */
export function addLinkGenerate(link: Command): void {
  link.command('generate <peer>')
    .description('issue a link certificate for site PEER and print a Link plus a Secret with its credentials, for PEER to apply with "svcnet apply -f"; '
      + 'the output holds a private key: -o writes the file with mode 0600, keep it secret and delete it once applied; "svcnet link delete PEER" here revokes it')
    .addOption(new Option('--dir <dir>', 'site state directory (default: $SVCNET_DIR)'))
    .requiredOption('--peer-id <id>', 'site id of PEER (the "id" in "svcnet site status -o json" there): the certificate is bound to it')
    .option('-o, --output <file>', 'write the YAML to FILE (mode 0600) instead of standard output')
    .option('--cost <n>', 'link cost for routing', intArg('--cost'), 1)
    .option('--format <format>', 'svcnet (svcnet.io/v1 Link) or skupper (a skupper.io/v2alpha1 Link, as "skupper link generate" writes it); both apply with "svcnet apply -f"', 'svcnet')
    .action(async (peer: string, o) => {
      newNameArg(peer, 'peer site name');
      if (!(LINK_FORMATS as readonly string[]).includes(o.format)) throw new UsageError(`--format must be ${LINK_FORMATS.join(' or ')}, not "${o.format}"`);
      if (o.cost < 1) throw new UsageError(`--cost must be 1 or more, not ${o.cost}`);
      await withSession(o, async (s) => {
        const g = await s.client.generateLink({ peer, peerId: o.peerId, cost: o.cost });
        if (o.format === 'skupper') g.yaml = toSkupperLinkYaml(g.yaml);
        if (!o.output) { process.stdout.write(g.yaml); return; }
        writeFileAtomic(o.output, g.yaml, 0o600);
        console.log(`link ${g.name} for site ${peer} written to ${o.output} (mode 0600: it holds a private key; grant ${g.grant}); apply it there with "svcnet apply -f ${o.output} --dir PEER_SITE"`);
      });
    });
}
