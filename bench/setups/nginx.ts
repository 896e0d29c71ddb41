// nginx stream pair: proxy_ssl with a client certificate → ssl_verify_client on (bench/peers/nginx-*.conf).
import fs from 'node:fs';
import path from 'node:path';
import { startNative } from '../procs.js';
import { ensureInstalled, sh } from './install.js';
import { pairSetup } from './peer-pair.js';
import { SkipSetup } from './setup.js';

const BIN = '/usr/sbin/nginx';
const STREAM_MODULE = '/usr/lib/nginx/modules/ngx_stream_module.so';
let loadStream = '';

/** nginx pair, one worker process each. */
export const nginx = pairSetup({
  name: 'nginx',
  description: 'nginx stream (proxy_ssl, client cert) → nginx stream (ssl_verify_client on); 1 worker each',
  async prepare() {
    await ensureInstalled(BIN, ['nginx']);
    const v = await sh(BIN, ['-V']);
    if (/--with-stream=dynamic/.test(v)) {
      await ensureInstalled(STREAM_MODULE, ['libnginx-mod-stream']);
      loadStream = `load_module ${STREAM_MODULE};`;
    } else if (!/--with-stream\b/.test(v)) {
      throw new SkipSetup('this nginx is built without the stream module');
    }
    return v.match(/nginx\/[\d.]+/)?.[0] ?? 'nginx';
  },
  templates: { client: 'nginx-client.conf', server: 'nginx-server.conf' },
  vars: async () => ({ LOAD_STREAM: loadStream }),
  launch(config, side, dir) {
    const prefix = path.join(dir, `nginx-${side}`);
    fs.mkdirSync(prefix, { recursive: true });
    return startNative(BIN, ['-p', prefix, '-e', path.join(prefix, 'error.log'), '-c', config, '-g', `pid ${prefix}/nginx.pid;`], path.join(prefix, 'stdout.log'));
  },
});
