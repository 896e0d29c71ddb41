// Entry point of the engine process that `site run` forks (control/engine/engine-host.ts): waits
// for `init`, then runs an Engine steered by the IPC channel. It loads only the data plane (no
// node-forge, zod, gRPC or console), and exits when its controller goes away.
import pino from 'pino';
import { Engine } from './engine.js';
import { ownNice, setOwnNice } from '../../common/cpu-priority.js';
import type { EngineCommand, EngineReport } from '../port/report.js';

if (!process.send) {
  process.stderr.write('the svcnet engine is started by "svcnet site run", not by hand\n');
  process.exit(2);
}

const send = (r: EngineReport): void => {
  // A controller that died leaves the channel closed: nothing to report to, and exit() follows on
  // 'disconnect'. The callback keeps a write that races the close from becoming an 'error' event.
  if (process.connected) process.send!(r, undefined, undefined, () => {});
};

let engine: Engine | undefined;

process.on('message', (cmd: EngineCommand) => {
  if (engine) { engine.handle(cmd); return; }
  if (cmd.kind !== 'init') return;
  const log = pino({ level: cmd.init.logLevel ?? 'info', base: { pid: process.pid, site: cmd.init.siteName, process: 'engine' } }, pino.destination(2));
  const inherited = ownNice(); // an engine restarted by a control process that lowered its own priority
  if (inherited > 0 && !setOwnNice(0)) log.info({ nice: inherited }, 'the engine keeps the priority it inherited (raising it needs CAP_SYS_NICE)');
  engine = new Engine(cmd.init, send, log); // it owns the uncaught-error policy (survive EMFILE, else reset and exit)
  send({ kind: 'ready', pid: process.pid });
});

send({ kind: 'loaded' });

// The controller is gone (crashed or killed): stop serving, its state is lost anyway.
process.on('disconnect', () => {
  engine?.stop();
  setTimeout(() => process.exit(0), 200).unref();
});
