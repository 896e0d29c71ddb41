// Issue 12: a link's byte totals (dataplane/link-bytes.ts) grow across reconnects under its name,
// and a link that went down is counted once (not again while its dialer still holds it).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LinkBytes } from '../../dataplane/link-bytes.js';
import { LinkState, type Link } from '../../dataplane/link.js';

const link = (name: string, bytesRead: number, bytesWritten: number, state = LinkState.Ready) => ({ name, state, socket: { bytesRead, bytesWritten } }) as unknown as Link;

test('issue 12: totals per link name add closed connections to the live one, once', () => {
  const b = new LinkBytes();
  const first = link('to-west', 100, 40);
  assert.equal(b.total('to-west', 'outbound', first), { bytesIn: 100, bytesOut: 40 });
  (first as { state: LinkState }).state = LinkState.Closed;
  b.down(first, 'outbound');
  assert.equal(b.total('to-west', 'outbound', first), { bytesIn: 100, bytesOut: 40 }, 'the closed link its dialer still holds is not counted twice');
  assert.equal(b.total('to-west', 'outbound', undefined), { bytesIn: 100, bytesOut: 40 });
  assert.equal(b.total('to-west', 'outbound', link('to-west', 5, 7)), { bytesIn: 105, bytesOut: 47 }, 'the next connection adds to it');
  assert.equal(b.total('to-west', 'inbound', undefined), { bytesIn: 0, bytesOut: 0 }, 'an inbound link of the same name is apart');
});

test.run();
