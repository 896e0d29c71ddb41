// Micro-benchmark cases of the HTTP/1.1 observer (issue 13): keep-alive exchanges with small bodies
// (heads parsed, one read per message, as a listener sees them) and large bodies (passed unread
// through h1Skip/h1Pass), through the host's observeChunk, on the wasm observer and on TsHttp1.
import type { Case, Step } from './measure.js';
import type { Http1Core } from '../../dataplane/core/http1-core.js';
import { loadCore } from '../../dataplane/core/wasm-core.js';
import { TsHttp1 } from '../../dataplane/core/ts-http1.js';
import { observeChunk } from '../../dataplane/http-observer.js';

const REQUEST = 'GET /api/items?page=2 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n';
const RESPONSE_HEAD = (n: number) => `HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Tue, 01 Dec 2026 06:00:00 GMT\r\nContent-Type: application/json\r\nContent-Length: ${n}\r\nLast-Modified: Tue, 01 Dec 2026 05:00:00 GMT\r\nConnection: keep-alive\r\nETag: "6b0e62ab-c"\r\nAccept-Ranges: bytes\r\n\r\n`;

/** `exchanges` request/response pairs, each message one read (a body of `body` bytes after its head, in 64 KiB reads). */
function exchangeCase(name: string, body: number, exchanges: number): Case {
  const req = Buffer.from(REQUEST);
  const res: Buffer[] = [];
  const whole = Buffer.concat([Buffer.from(RESPONSE_HEAD(body)), Buffer.alloc(body, 0x61)]);
  for (let at = 0; at < whole.length; at += 65536) res.push(whole.subarray(at, at + 65536));
  const bytes = exchanges * (req.length + whole.length);
  let seen = 0;
  const step = (core: Http1Core): Step => () => {
    const o = core.open();
    for (let i = 0; i < exchanges; i++) {
      observeChunk(core, o, 0, req, i, () => { seen++; });
      for (const r of res) observeChunk(core, o, 1, r, i + 0.5, () => { seen++; });
    }
    core.end(o, exchanges);
    core.close(o);
    if (seen < 0) throw new Error('unreachable');
    return { units: exchanges, bytes };
  };
  return { name, unit: 'request', wasm: () => step(loadCore(65536).http1()), ts: () => step(new TsHttp1()) };
}

/** The observer's cases. */
export function http1Cases(): Case[] {
  return [
    exchangeCase('http1 observer: keep-alive GET, 12 B bodies (heads parsed; 0.4 KB/request)', 12, 100),
    exchangeCase('http1 observer: keep-alive GET, 1 MiB bodies passed unread', 1 << 20, 4),
  ];
}
