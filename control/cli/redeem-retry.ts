// `token redeem --wait` while the issuing site is still starting (issue 15, Missing 2): an
// unreachable grant endpoint is retried with backoff until the timeout, with one progress line a try.
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError } from '../api/errors.js';

/** Backoff between tries: 0.5 s doubling to 5 s. */
export const retryDelayMs = (attempt: number): number => Math.min(5000, 500 * 2 ** (attempt - 1));

/** Runs `call`; while it fails with SVCNET_ERR_UNAVAILABLE and `timeoutMs` allows, prints why and tries again. */
export async function retryUnavailable<T>(call: () => Promise<T>, timeoutMs: number, print: (line: string) => void, now = Date.now): Promise<T> {
  const end = now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const wait = retryDelayMs(attempt);
      if (!(err instanceof ApiError && err.code === 'SVCNET_ERR_UNAVAILABLE') || now() + wait >= end) throw err;
      print(`attempt ${attempt}: ${err.message.split('\n')[0]}; retrying in ${wait / 1000} s`);
      await sleep(wait);
    }
  }
}
