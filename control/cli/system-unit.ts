// The systemd unit of a site on an edge host (`svcnet system install`, issue 15): `svcnet site run`
// restarted on failure, hardened so that the state directory is the only path it may write. Pure:
// the command (system-commands.ts) writes the file and talks to systemctl.
import path from 'node:path';
import { UsageError } from './output.js';

/** Where units go unless --unit-dir says otherwise. */
export const SYSTEM_UNIT_DIR = '/etc/systemd/system';
/** The first line of every unit we write: uninstall removes only files that start with it. */
export const UNIT_MARK = '# Written by `svcnet system install`';

export interface UnitOptions {
  /** unit name without ".service" (svcnet-SITE by default) */
  name: string;
  /** the site's state directory, absolute */
  dir: string;
  /** the site's name, for the description */
  site: string;
  /** node and the svcnet entry script, absolute */
  node: string;
  script: string;
  /** run as this user (else root) */
  user?: string;
}

/** The unit file name for site unit `name`. */
export function unitFile(name: string): string { return `svcnet-${name}.service`; }

/** Characters systemd would read as specifiers, quotes, separators or escapes: a path with one is refused. */
const UNSAFE_PATH = /[\s"'\\%$;`\u0000-\u001f\u007f]/;

/** An absolute path systemd can take as it is (exit 2 otherwise). */
export function unitPathArg(p: string, flag: string): string {
  const abs = path.resolve(p);
  if (UNSAFE_PATH.test(abs)) throw new UsageError(`${flag} ${JSON.stringify(p.slice(0, 80))} holds a space, quote, "%", "$" or control character, which a systemd unit cannot take as is`);
  return abs;
}

/** The state directory for a unit: an absolute path systemd can take, not in a temporary directory. */
export function stateDirArg(p: string): string {
  const abs = unitPathArg(p, '--dir');
  if (/^\/(var\/)?tmp(\/|$)/.test(abs)) throw new UsageError(`--dir ${JSON.stringify(abs.slice(0, 80))} is under ${abs.startsWith('/var') ? '/var/tmp' : '/tmp'}, which the service's PrivateTmp= hides and the host may empty; keep the site in a lasting place such as /var/lib/svcnet/NAME`);
  return abs;
}

/** A POSIX user name (`useradd`'s rule), for --user. */
export function userArg(v: string): string {
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(v)) throw new UsageError(`--user ${JSON.stringify(v.slice(0, 80))} is not a user name (lowercase letters, digits, "_" and "-", starting with a letter or "_", at most 32)`);
  return v;
}

/** Under a home directory: ProtectHome=yes would hide it from the service. */
const inHome = (p: string) => /^\/(home|root|run\/user)(\/|$)/.test(p);

/** The unit's text. */
export function renderUnit(o: UnitOptions): string {
  // ProtectHome=yes hides /home, /root and /run/user entirely, and ReadWritePaths= cannot reopen a
  // path inside them: when the state directory or the program lives there, they become read-only
  // instead, and ReadWritePaths= opens the state directory alone.
  const home = [o.dir, o.node, o.script].some(inHome) ? 'read-only' : 'yes';
  const caps = 'CAP_NET_BIND_SERVICE CAP_SYS_NICE';
  return [
    `${UNIT_MARK} for site ${o.site}; remove it with \`svcnet system uninstall --name ${o.name}\`.`,
    '[Unit]',
    `Description=svcnet site ${o.site} (${o.dir})`,
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${o.node} ${o.script} site run --dir ${o.dir}`,
    `WorkingDirectory=${o.dir}`,
    ...(o.user ? [`User=${o.user}`, `AmbientCapabilities=${caps}`] : []),
    'Restart=on-failure',
    'RestartSec=2s',
    // SIGTERM stops the site cleanly (links say GOAWAY, flows drain); a hung one is killed after 30 s.
    'KillMode=mixed',
    'TimeoutStopSec=30s',
    'LimitNOFILE=65536',
    '# Hardening: the state directory is the only writable path. Low ports (listeners) and the',
    '# engine\'s own CPU priority are the only privileges kept. MemoryDenyWriteExecute= is left',
    '# off: V8 compiles JavaScript and WebAssembly to executable memory.',
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    `ProtectHome=${home}`,
    `ReadWritePaths=${o.dir}`,
    'PrivateTmp=yes',
    'PrivateDevices=yes',
    'ProtectKernelTunables=yes',
    'ProtectKernelModules=yes',
    'ProtectKernelLogs=yes',
    'ProtectControlGroups=yes',
    'ProtectClock=yes',
    'ProtectHostname=yes',
    'ProtectProc=invisible',
    'RestrictNamespaces=yes',
    'RestrictRealtime=yes',
    'RestrictSUIDSGID=yes',
    'LockPersonality=yes',
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6',
    'SystemCallArchitectures=native',
    `CapabilityBoundingSet=${caps}`,
    'UMask=0077',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}
