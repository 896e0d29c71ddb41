// When a failed certificate renewal is tried again (control/pki/renewal.ts renewRetryDelay): the
// backoff doubles to its cap while the certificate has long to live, but never jumps past the expiry.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renewRetryDelay, RENEW_RETRY_MS, RENEW_RETRY_CAP_MS } from '../../control/pki/renewal.js';

const DAY = 86_400_000;

test('a long-lived certificate: the backoff doubles from 2 s and stops at the cap', () => {
  assert.equal([1, 2, 3, 4].map((f) => renewRetryDelay(f, 30 * DAY, 1000)), [RENEW_RETRY_MS, 2 * RENEW_RETRY_MS, 4 * RENEW_RETRY_MS, 8 * RENEW_RETRY_MS]);
  assert.is(renewRetryDelay(20, 30 * DAY, 1000), RENEW_RETRY_CAP_MS);
});

test('near the expiry the next try comes within a third of the life left, not after it', () => {
  // An 8 s certificate renews with 2.7 s left; a failure must leave room for more tries before it expires.
  assert.is(renewRetryDelay(1, 2700, 1000), 1000);
  assert.is(renewRetryDelay(5, 90_000, 1000), 30_000, 'a fifth failure with 90 s left: 30 s, not the 32 s backoff');
  for (const left of [1500, 3000, 6000, 60_000]) assert.ok(renewRetryDelay(9, left, 250) < left, `retry before expiry with ${left} ms left`);
});

test('never sooner than the renewal check period; an expired certificate keeps the plain backoff', () => {
  assert.is(renewRetryDelay(1, 600, 1000), 1000);
  assert.is(renewRetryDelay(3, -5000, 1000), 4 * RENEW_RETRY_MS);
});

test.run();
