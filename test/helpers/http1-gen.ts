// Seeded HTTP/1.1 conversations for the observer's differential and fuzz tests (issue 13): requests
// and their responses with every framing the observer follows (length, chunks with extensions and
// trailers, read-until-close, bodiless HEAD/204/304, 1xx, upgrade, CONNECT, close, pipelining), and
// mutations of them and of the real captures.
import type { Prng } from './prng.js';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'PROPFIND', 'get'];
const SEGMENTS = ['', 'api', 'static', 'a'.repeat(40), 'x%20y', 'é', 'v1'];

/** One direction's chunk of a conversation, in passing order. */
export type Turn = [0 | 1, Buffer];

function body(rng: Prng, n: number, chunked: boolean): string {
  const data = 'b'.repeat(n);
  if (!chunked) return data;
  let out = '';
  for (let at = 0; at < n;) {
    const k = Math.min(n - at, 1 + rng.int(n));
    out += `${k.toString(rng.chance(0.5) ? 16 : 16).toUpperCase()}${rng.chance(0.2) ? ';ext=1' : ''}\r\n${data.slice(at, at + k)}\r\n`;
    at += k;
  }
  return out + `0\r\n${rng.chance(0.3) ? 'X-Trailer: 1\r\n' : ''}\r\n`;
}

/** A keep-alive conversation of 1..6 exchanges; requests pipelined or not. */
export function conversation(rng: Prng): Turn[] & { exchanges?: number } {
  const turns: Turn[] = [];
  const pipelined = rng.chance(0.3);
  let reqs = '';
  let ress = '';
  const n = 1 + rng.int(6);
  for (let i = 0; i < n; i++) {
    const last = i === n - 1;
    const method = rng.pick(METHODS);
    const target = rng.chance(0.1) ? `http://host:80/${rng.pick(SEGMENTS)}/x` : `/${rng.pick(SEGMENTS)}${rng.chance(0.5) ? '/more?q=1' : ''}`;
    const special = last ? rng.int(12) : 99; // an upgrade, CONNECT or close only ends a conversation
    const close = special === 0;
    const upgrade = special === 1;
    const connect = special === 2;
    const reqBody = rng.chance(0.4) ? rng.int(300) : 0;
    const chunkedReq = reqBody > 0 && rng.chance(0.5);
    const ver = rng.chance(0.1) ? '1.0' : '1.1';
    let req = connect ? `CONNECT host:443 HTTP/1.1\r\nHost: host:443\r\n` : `${method} ${target} HTTP/${ver}\r\nHost: x\r\n`;
    if (close) req += 'Connection: close\r\n';
    if (ver === '1.0' && !close) req += 'Connection: keep-alive\r\n';
    if (upgrade) req += 'Upgrade: websocket\r\nConnection: Upgrade\r\n';
    if (!connect && reqBody > 0) req += chunkedReq ? 'Transfer-Encoding: chunked\r\n' : `Content-Length: ${reqBody}\r\n`;
    req += '\r\n' + (connect ? '' : reqBody > 0 ? body(rng, reqBody, chunkedReq) : '');
    let res = rng.chance(0.15) ? 'HTTP/1.1 100 Continue\r\n\r\n' : '';
    const status = upgrade ? (rng.chance(0.7) ? 101 : 200) : connect ? rng.pick([200, 403]) : rng.pick([200, 201, 204, 304, 404, 500, 302]);
    res += `HTTP/1.1 ${status} ${status === 101 ? 'Switching Protocols' : 'X'}\r\n`;
    if (status === 101) res += 'Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n';
    else {
      const resBody = rng.int(500);
      const framing = rng.int(3);
      const bodiless = method === 'HEAD' || status === 204 || status === 304 || (connect && status === 200);
      if (close) res += 'Connection: close\r\n';
      if (framing === 0 || (framing === 2 && !last)) res += `Content-Length: ${resBody}\r\n\r\n` + (bodiless ? '' : 'c'.repeat(resBody));
      else if (framing === 1) res += 'Transfer-Encoding: chunked\r\n\r\n' + (bodiless ? '' : body(rng, resBody, true));
      else res += '\r\n' + (bodiless ? '' : 'd'.repeat(resBody)); // read until close: only the last
    }
    if (pipelined) { reqs += req; ress += res; } else turns.push([0, Buffer.from(req, 'latin1')], [1, Buffer.from(res, 'latin1')]);
    if ((upgrade && status === 101) || (connect && status === 200)) {
      const tunnel: Turn[] = [[0, Buffer.from('raw tunnel bytes GET / HTTP/1.1\r\n\r\n')], [1, Buffer.from('raw answer')]];
      if (pipelined) { turns.push([0, Buffer.from(reqs, 'latin1')], [1, Buffer.from(ress, 'latin1')], ...tunnel); reqs = ress = ''; } else turns.push(...tunnel);
    }
  }
  if (reqs) turns.push([0, Buffer.from(reqs, 'latin1')], [1, Buffer.from(ress, 'latin1')]);
  return Object.assign(turns, { exchanges: n });
}

const SWAPS = ['chunked', 'Content-Length', 'Transfer-Encoding', 'close', 'Upgrade', 'HTTP/1.1', '\r\n', '\r\n\r\n', '0\r\n\r\n', '101', '204', 'HEAD', 'CONNECT', ':', ' '];

/** 1 to 4 mutations of one turn: bit flips, truncation, HTTP words inserted or removed, digits changed, splices from `corpus`. */
export function mutateTurns(rng: Prng, turns: Turn[], corpus: Buffer[]): Turn[] {
  const out = turns.map(([d, b]) => [d, Buffer.from(b)] as Turn);
  for (let m = 1 + (rng.chance(0.3) ? rng.int(4) : 0); m > 0 && out.length; m--) {
    const t = rng.int(out.length);
    let b = out[t][1];
    const at = rng.int(b.length + 1);
    switch (rng.int(7)) {
      case 0: for (let k = 1 + rng.int(3); k > 0 && b.length; k--) b[rng.int(b.length)] ^= 1 << rng.int(8); break;
      case 1: b = b.subarray(0, at); break;
      case 2: b = Buffer.concat([b.subarray(0, at), Buffer.from(rng.pick(SWAPS)), b.subarray(at)]); break;
      case 3: b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + rng.int(8))]); break;
      case 4: for (let i = at; i < b.length; i++) if (b[i] >= 48 && b[i] <= 57) { b[i] = 48 + rng.int(10); break; } break;
      case 5: { const src = corpus.length ? rng.pick(corpus) : b; const f = rng.int(src.length + 1); b = Buffer.concat([b.subarray(0, at), src.subarray(f, f + rng.int(400)), b.subarray(at)]); break; }
      default: out.splice(t, 1); continue;
    }
    out[t][1] = b;
  }
  return out;
}
