// stunnel client/server pair with mutual TLS (configs: bench/peers/stunnel-*.conf).
import path from 'node:path';
import { startNative } from '../procs.js';
import { ensureInstalled, sh } from './install.js';
import { pairSetup } from './peer-pair.js';

const BIN = '/usr/bin/stunnel4';

/** stunnel pair: one thread per connection (stunnel's model; it has no worker setting). */
export const stunnel = pairSetup({
  name: 'stunnel',
  description: 'stunnel client → mutual TLS → stunnel server (TLS 1.3, one TLS connection per flow)',
  async prepare() {
    await ensureInstalled(BIN, ['stunnel4']);
    const out = await sh(BIN, ['-version']).catch((e: Error) => e.message);
    return out.match(/stunnel \d+\.\d+/)?.[0] ?? 'stunnel';
  },
  templates: { client: 'stunnel-client.conf', server: 'stunnel-server.conf' },
  launch: (config, side, dir) => startNative(BIN, [config], path.join(dir, `stunnel-${side}.log`)),
});
