// Runs state-changing API calls one at a time, in arrival order, so two callers never interleave
// their read-check-write sequences (the check of a resourceVersion and the write stay together).

export class Serializer {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `fn` after every call queued before it has finished (whether it succeeded or not). */
  run<T>(fn: () => Promise<T> | T): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
