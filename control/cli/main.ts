// The svcnet command line. Commands are clients of the control API: over the site's unix socket
// when it runs, or on its state directory when it does not. Exit codes: 0 ok, 1 failure, 2 usage.
import { Command, CommanderError } from 'commander';
import { UsageError } from './output.js';
import { addSiteCommands } from './site-commands.js';
import { addLinkCommands } from './link-commands.js';
import { addServiceCommands } from './service-commands.js';
import { addResourceCommands } from './resource-commands.js';
import { addAdminCommands } from './admin-commands.js';
import { addPkiCommands } from '../pki/cli.js';
import { addRouterCommands } from './router-commands.js';
import { addFlowCommands } from './flow-commands.js';
import { addVersionCommand } from './version.js';
import { addSystemCommands } from './system-commands.js';
import { addBenchCommands } from './bench-commands.js';
import { addTlsCommands } from './tls-commands.js';

export { parseDuration } from './args.js';

/** The whole command tree. */
export function buildProgram(): Command {
  const program = new Command('svcnet').description('svcnet: link services across sites over mutual TLS').exitOverride().showHelpAfterError(false);
  addSiteCommands(program);
  addLinkCommands(program);
  addServiceCommands(program);
  addResourceCommands(program);
  addAdminCommands(program);
  addPkiCommands(program);
  addRouterCommands(program);
  addFlowCommands(program);
  addVersionCommand(program);
  addSystemCommands(program);
  addBenchCommands(program);
  addTlsCommands(program);
  // Every subcommand exits through main() instead of process.exit, so codes stay 0/1/2.
  const override = (c: Command) => { c.exitOverride(); c.commands.forEach(override); };
  override(program);
  return program;
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
      // `svcnet help` asked for help (0); `svcnet` or `svcnet site` alone got it for want of a command (2).
      if (err.code === 'commander.help') return err.exitCode === 0 ? 0 : 2;
      return 2; // commander already printed the usage error
    }
    if (err instanceof UsageError) { process.stderr.write(`error: ${err.message}\n`); return 2; }
    process.stderr.write(`error: ${(err as Error).message}\n`);
    return 1;
  }
}
