// Issue 13, bad input: a client that sends half a request head and vanishes. Http1FlowObserver
// reports the fallback `request_cut_short` at the end when request bytes are left that no
// observation accounts for (HTTP/1.1 observations account for every request byte), over both cores.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadCore } from '../../dataplane/core/wasm-core.js';
import { TsHttp1 } from '../../dataplane/core/ts-http1.js';
import type { Http1Core } from '../../dataplane/core/http1-core.js';
import { Http1FlowObserver } from '../../dataplane/http-observer.js';

const cores: [string, Http1Core][] = [['wasm', loadCore(65536).http1()], ['ts', new TsHttp1()]];

/** Feeds [direction, text] pairs ('c' client, 's' server), ends the connection; what the sink got: "STATUS METHOD /PATH BYTES" or a reason. */
function conversation(core: Http1Core, parts: ['c' | 's', string][]): string[] {
  const got: string[] = [];
  const o = new Http1FlowObserver(core, { onRequest: (q) => got.push(`${q.status} ${q.method} /${q.path} ${q.bytesToServer}`), onParseError: (why) => got.push(why) });
  for (const [d, text] of parts) (d === 'c' ? o.request : o.response).call(o, Buffer.from(text, 'latin1'));
  o.end();
  return got;
}

for (const [name, core] of cores) {
  test(`issue 13 (${name}): half a head, then the end: request_cut_short`, () => {
    assert.equal(conversation(core, [['c', 'GET /index.txt HTTP/1.1\r\nHost: x\r\nAcc']]), ['request_cut_short']);
    assert.equal(conversation(core, [['c', 'G']]), ['request_cut_short']);
  });

  test(`issue 13 (${name}): an answered request, then half a second head: the first observed, then request_cut_short`, () => {
    assert.equal(conversation(core, [['c', 'GET /a HTTP/1.1\r\n\r\n'], ['s', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'], ['c', 'GET /b HT']]),
      ['200 GET /a 19', 'request_cut_short']);
  });

  test(`issue 13 (${name}): whole heads are no cut: unanswered (status 0), a body cut short (listed with its bytes), nothing at all`, () => {
    assert.equal(conversation(core, [['c', 'GET /a HTTP/1.1\r\n\r\n']]), ['0 GET /a 19']);
    assert.equal(conversation(core, [['c', 'POST /up HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc']]), ['0 POST /up 44']);
    assert.equal(conversation(core, [['c', 'GET /a HTTP/1.1\r\n\r\n'], ['s', 'HTTP/1.1 204 No Content\r\n\r\n']]), ['204 GET /a 19']);
    assert.equal(conversation(core, []), []);
  });

  test(`issue 13 (${name}): after a fallback or an upgrade the end reports nothing more`, () => {
    assert.equal(conversation(core, [['c', '\x00garbage']]), ['malformed_request']);
    assert.equal(conversation(core, [['c', 'GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'], ['s', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'], ['c', 'raw frames']]).length, 1);
  });
}

test.run();
