// `svcnet version` and `svcnet --version`: the release (package.json), the link protocol version a
// site speaks in HELLO, and the Node.js that runs it — what a bug report needs.
import fs from 'node:fs';
import { Command } from 'commander';
import { PROTOCOL_VERSION } from '../../wasm/assembly/protocol.js';
import { print, parseFormat } from './output.js';

/** The installed release, read once from the package.json next to dist/. */
export function releaseVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** The one-line version text. */
export function versionLine(): string {
  return `svcnet ${releaseVersion()} (link protocol ${PROTOCOL_VERSION}, node ${process.version})`;
}

/** Adds `version` and the `--version` flag. */
export function addVersionCommand(program: Command): void {
  program.version(versionLine(), '-V, --version', 'print the version');
  program.command('version').description('print the svcnet release, link protocol version and Node.js version')
    .option('-o, --output <format>', 'json or yaml instead of a line')
    .action((o) => {
      const format = o.output === undefined ? undefined : parseFormat(o.output);
      if (!format) { console.log(versionLine()); return; }
      print(format, { version: releaseVersion(), linkProtocol: PROTOCOL_VERSION, node: process.version }, [], []);
    });
}
