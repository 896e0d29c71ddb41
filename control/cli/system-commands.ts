// `svcnet system install` / `uninstall` (issue 15, edge hosts): a systemd unit that runs a site,
// written where systemd reads units, then enabled and started with systemctl when systemd runs
// here; otherwise the unit is written and the commands to run are printed.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { SiteStore } from '../state/site-store.js';
import { newNameArg } from './args.js';
import { UsageError } from './output.js';
import { SYSTEM_UNIT_DIR, UNIT_MARK, renderUnit, stateDirArg, unitFile, unitPathArg, userArg } from './system-unit.js';

/** The svcnet entry script this CLI runs from (bin/svcnet.js), links resolved. */
function entryScript(): string {
  return fs.realpathSync(fileURLToPath(new URL('../../../bin/svcnet.js', import.meta.url)));
}

/** systemd is the running init (sd_booted()'s test) and systemctl is at hand; else why not. */
function systemdHere(): string | undefined {
  if (!fs.existsSync('/run/systemd/system')) return 'systemd is not running on this host (no /run/systemd/system: a container, or another init)';
  try { execFileSync('systemctl', ['--version'], { stdio: 'ignore' }); } catch { return 'systemctl cannot be run here'; }
  return undefined;
}

function systemctl(args: string[]): void {
  try {
    execFileSync('systemctl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(`systemctl ${args.join(' ')} failed: ${(e.stderr?.toString().trim().split('\n')[0] || e.message).slice(0, 200)}`);
  }
}

/** --unit-dir, which must be an existing directory (exit 2 otherwise). */
function unitDirArg(v: string | undefined): string {
  const dir = unitPathArg(v ?? SYSTEM_UNIT_DIR, '--unit-dir');
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`--unit-dir ${JSON.stringify(dir.slice(0, 80))} is not a directory`);
  return dir;
}

/** Says when --user cannot run the site as it stands: no such user here, or the state is not theirs. */
function ownerNote(user: string, dir: string): void {
  const entry = (fs.existsSync('/etc/passwd') ? fs.readFileSync('/etc/passwd', 'utf8') : '').split('\n').find((l) => l.startsWith(`${user}:`));
  if (!entry) { console.log(`note: there is no user ${user} on this host yet; create it before the unit starts`); return; }
  const uid = Number(entry.split(':')[2]);
  if (fs.statSync(dir).uid !== uid) console.log(`note: ${dir} is not owned by ${user}; give it to them: chown -R ${user} ${dir}`);
}

/** What to do by hand when this command cannot, one command a line. */
function manual(why: string, steps: string[]): void {
  console.log(`${why}; run these on the host where the site should run:`);
  for (const s of steps) console.log(`  ${s}`);
}

export function addSystemCommands(program: Command): void {
  const system = program.command('system').description('run a site as a systemd service on an edge host');
  const unitDir = () => new Option('--unit-dir <dir>', `where to write the unit (default: ${SYSTEM_UNIT_DIR})`);

  system.command('install').description('write a systemd unit that runs `svcnet site run --dir DIR`, then enable and start it when systemd runs here')
    .requiredOption('--dir <dir>', 'the site state directory (made by `svcnet site create`)')
    .option('--name <name>', 'unit name: svcnet-NAME.service (default: the site name)')
    .option('--user <user>', 'run the site as this user (default: root); it must own the state directory')
    .addOption(unitDir())
    .option('--no-start', 'write the unit only; do not enable or start it')
    .action((o: { dir: string; name?: string; user?: string; unitDir?: string; start: boolean }) => {
      const dir = stateDirArg(o.dir);
      const name = o.name === undefined ? undefined : newNameArg(o.name, '--name');
      const user = o.user === undefined ? undefined : userArg(o.user);
      const target = unitDirArg(o.unitDir);
      const site = SiteStore.open(dir).readConfig().name; // no site there: exit 1 with how to make one
      const unit = unitFile(name ?? site);
      const script = unitPathArg(entryScript(), 'the svcnet program path');
      const node = unitPathArg(process.execPath, 'the node program path');
      const file = path.join(target, unit);
      const existed = fs.existsSync(file);
      try {
        fs.writeFileSync(file, renderUnit({ name: name ?? site, dir, site, node, script, user }), { mode: 0o644 });
      } catch (err) {
        throw new Error(`cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message} (run as root, or choose --unit-dir)`);
      }
      console.log(`${existed ? 'updated' : 'wrote'} ${file}: site ${site} from ${dir}${user ? ` as user ${user}` : ''}`);
      if (user) ownerNote(user, dir);
      const steps = ['systemctl daemon-reload', `systemctl enable --now ${unit}`];
      if (target !== SYSTEM_UNIT_DIR) return manual(`${target} is not where systemd reads units`, [`cp ${file} ${SYSTEM_UNIT_DIR}/`, ...steps]);
      if (!o.start) return manual('not started (--no-start)', steps);
      const why = systemdHere();
      if (why) return manual(why, steps);
      systemctl(['daemon-reload']);
      systemctl(['enable', '--now', unit]);
      console.log(`${unit} enabled and started; follow it with: journalctl -u ${unit} -f`);
    });

  system.command('uninstall').description('stop, disable and remove the unit `system install` wrote (the state directory is kept)')
    .option('--name <name>', 'unit name: svcnet-NAME.service')
    .option('--dir <dir>', 'the site state directory: its site name is the unit name')
    .addOption(unitDir())
    .action((o: { dir?: string; name?: string; unitDir?: string }) => {
      if (!o.name === !o.dir) throw new UsageError('give the unit by --name NAME or by the site in --dir DIR (one of them)');
      const target = unitDirArg(o.unitDir);
      const name = o.name !== undefined ? newNameArg(o.name, '--name') : SiteStore.open(unitPathArg(o.dir!, '--dir')).readConfig().name;
      const unit = unitFile(name);
      const file = path.join(target, unit);
      const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
      if (text === undefined) throw new Error(`no unit ${unit} in ${target}`);
      if (!text.startsWith(UNIT_MARK)) throw new Error(`${file} was not written by \`svcnet system install\`; left as it is`);
      // A unit outside systemd's directory was never loaded: there is nothing to stop.
      const why = target === SYSTEM_UNIT_DIR ? systemdHere() : undefined;
      const live = target === SYSTEM_UNIT_DIR && !why;
      if (live) systemctl(['disable', '--now', unit]);
      fs.rmSync(file);
      if (live) systemctl(['daemon-reload']);
      console.log(`removed ${file}${live ? ' (stopped and disabled)' : ''}; the site's state directory is kept`);
      if (why) manual(why, [`systemctl disable --now ${unit}`, 'systemctl daemon-reload']);
    });
}
