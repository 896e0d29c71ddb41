// A request body held while its request may still be retried on another target (issue 13): both
// request-balanced exchanges, HTTP/1.1 (request-exchange.ts) and HTTP/2 (stream-exchange.ts), hold it
// until the answer comes, and only while it stays small.

/** Request body bytes held for a retry; a longer body makes its request unretryable. */
export const RETRY_BODY_MAX = 64 * 1024;

export class HeldBody {
  private chunks: Buffer[] | undefined = [];
  private bytes = 0;

  /** Holds a chunk while the body stays within RETRY_BODY_MAX; past it, nothing is held any more. */
  add(chunk: Buffer): void {
    if (!this.chunks) return;
    this.bytes += chunk.length;
    if (this.bytes <= RETRY_BODY_MAX) this.chunks.push(chunk); else this.chunks = undefined;
  }

  /** Every body byte seen so far is held, so the request can be sent again. */
  get replayable(): boolean { return this.chunks !== undefined; }

  /** Chunks held now (none once released or past the bound). */
  get count(): number { return this.chunks?.length ?? 0; }

  /** Writes what is held to a new attempt's upstream. */
  replay(up: { write(chunk: Buffer): unknown }): void { for (const c of this.chunks ?? []) up.write(c); }

  /** Lets the body go: the request was answered or will not be retried. */
  release(): void { this.chunks = undefined; }
}
