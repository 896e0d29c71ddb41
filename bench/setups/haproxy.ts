// haproxy pair: server line with `ssl crt … verify required` → bind with `ssl … verify required`
// (bench/peers/haproxy-*.cfg).
import path from 'node:path';
import { startNative } from '../procs.js';
import { ensureInstalled, sh } from './install.js';
import { pairSetup } from './peer-pair.js';

const BIN = '/usr/sbin/haproxy';

/** haproxy pair, one thread each, in the foreground (-db). */
export const haproxy = pairSetup({
  name: 'haproxy',
  description: 'haproxy (server ssl, client cert, verify required) → haproxy (bind ssl, verify required); 1 thread each',
  async prepare() {
    await ensureInstalled(BIN, ['haproxy']);
    const v = await sh(BIN, ['-v']);
    return v.match(/HA-?Proxy version [\d.]+/i)?.[0] ?? 'haproxy';
  },
  templates: { client: 'haproxy-client.cfg', server: 'haproxy-server.cfg' },
  launch: (config, side, dir) => startNative(BIN, ['-db', '-f', config], path.join(dir, `haproxy-${side}.log`)),
});
