// Opens a TCP tunnel through an HTTP CONNECT proxy, as corporate networks require for outbound
// links. The TLS handshake of the link then runs inside the tunnel, end to end with the peer site.
import net from 'node:net';

export interface ProxyAddress { host: string; port: number }

/** Parses "http://host:port" (the Link resource's spec.proxy). */
export function parseProxy(url: string): ProxyAddress {
  const m = /^http:\/\/([^\s/:]+|\[[0-9a-fA-F:]+\]):(\d{1,5})\/?$/.exec(url);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new Error(`proxy "${url}" must look like http://host:port`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

const MAX_RESPONSE_HEAD = 8192;

/** Resolves with a socket tunnelled to host:port, or rejects with the proxy's answer. */
export function connectViaProxy(proxy: ProxyAddress, host: string, port: number, timeoutMs = 10_000): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: proxy.host, port: proxy.port });
    const target = `${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
    let head = Buffer.alloc(0);
    const fail = (err: Error) => { s.destroy(); reject(err); };
    s.setTimeout(timeoutMs, () => fail(new Error(`proxy ${proxy.host}:${proxy.port} did not answer CONNECT within ${timeoutMs} ms`)));
    s.once('error', (err) => fail(new Error(`proxy ${proxy.host}:${proxy.port}: ${err.message}`)));
    s.once('connect', () => s.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`));
    const onData = (d: Buffer) => {
      head = Buffer.concat([head, d]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > MAX_RESPONSE_HEAD) fail(new Error('proxy response head too large'));
        return;
      }
      s.off('data', onData);
      s.setTimeout(0);
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head.subarray(0, end).toString('latin1'));
      if (!status || status[1] !== '200') return fail(new Error(`proxy refused CONNECT ${target}: ${head.subarray(0, head.indexOf('\r\n')).toString('latin1')}`));
      const rest = head.subarray(end + 4);
      if (rest.length > 0) s.unshift(rest); // bytes of the tunnel that came with the proxy's answer
      s.removeAllListeners('error');
      resolve(s);
    };
    s.on('data', onData);
  });
}
