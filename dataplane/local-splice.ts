// A local splice: a listener's client joined to a connector's server on this same site, in this
// process. It runs the Flow state machine (flow.ts FLOW_TRANSITIONS) and ends like a Flow, once,
// with its byte counts, so flow setup accounts for it and reports it as it does any other flow.
import type { Socket } from 'node:net';
import * as P from '../wasm/assembly/protocol.js';
import { FlowState, FLOW_TRANSITIONS } from './flow.js';
import { StateMachine, type IllegalTransition } from './state-machine.js';
import type { Drainable } from './connector.js';
import type { EndCause } from './flow-record.js';
import type { FlowTap } from './http-observer.js';

export class LocalSplice implements Drainable {
  /** bytes read from the client (and written to the server) */
  bytesFromApp = 0;
  /** bytes read from the server (and written to the client) */
  bytesToApp = 0;
  /** performance.now() of the first byte from the client and from the server (flow records); 0 before */
  firstFromAppAt = 0;
  firstToAppAt = 0;
  /** which socket ended the splice when it did not end cleanly: `app` is the client, `peer` the server */
  endCause: EndCause | undefined;
  /** an http1 listener's observer (issue 13): shown the bytes each way; undefined for tcp */
  tap: FlowTap | undefined = undefined;
  private readonly machine: StateMachine<FlowState>;

  /** LocalClosed here: the client sent FIN (passed to the server); RemoteClosed: the server did. */
  constructor(
    readonly client: Socket,
    readonly server: Socket,
    illegal: IllegalTransition,
    /** called once when the splice ends; error set when it did not end cleanly */
    private readonly onEnd: (splice: LocalSplice, error?: string) => void,
  ) {
    this.machine = new StateMachine('local-splice', FlowState.Open, FLOW_TRANSITIONS, illegal);
    client.on('data', (chunk: Buffer) => { if (this.bytesFromApp === 0) this.firstFromAppAt = performance.now(); this.bytesFromApp += chunk.length; if (this.tap !== undefined) this.tap.request(chunk); });
    server.on('data', (chunk: Buffer) => { if (this.bytesToApp === 0) this.firstToAppAt = performance.now(); this.bytesToApp += chunk.length; if (this.tap !== undefined) this.tap.response(chunk); });
    // pipe() carries the bytes with backpressure and passes each FIN on (both sockets allow half-open).
    client.pipe(server);
    server.pipe(client);
    client.on('end', () => this.finEnded(FlowState.LocalClosed));
    server.on('end', () => this.finEnded(FlowState.RemoteClosed));
    client.on('error', (err) => this.reset(err.message, { by: 'app', code: P.ERR_ABORTED }));
    server.on('error', (err: NodeJS.ErrnoException) => this.reset(err.message, { by: 'peer', code: err.code === 'ECONNREFUSED' ? P.ERR_CONNECT_FAILED : P.ERR_ABORTED }));
    client.on('close', () => this.socketClosed({ by: 'app', code: P.ERR_ABORTED }));
    server.on('close', () => this.socketClosed({ by: 'peer', code: P.ERR_ABORTED }));
  }

  get state(): FlowState { return this.machine.state; }

  private get over(): boolean { return this.machine.terminal; }

  /** One side sent FIN: that direction is finished; both finished is Done. */
  private finEnded(side: FlowState.LocalClosed | FlowState.RemoteClosed): void {
    if (this.over) return;
    const other = side === FlowState.LocalClosed ? FlowState.RemoteClosed : FlowState.LocalClosed;
    const next = this.state === other ? FlowState.Done : side;
    if (this.machine.to(next) && next === FlowState.Done) this.onEnd(this);
  }

  /** A socket that closes before both directions finished (destroyed, RST) resets the splice. */
  private socketClosed(cause: EndCause): void {
    if (!this.over) this.reset('application socket closed', cause);
  }

  /** Drainable: the connector was deleted and its drain time is over (or the site shuts down). */
  resetLocal(code: number, why: string): void { this.reset(why, { by: 'local', code }); }

  /** Resets both sockets (each side sees a reset, as a remote flow's app socket would). */
  reset(why: string, cause: EndCause = { by: 'local', code: P.ERR_ABORTED }): void {
    if (this.over || !this.machine.to(FlowState.Reset)) return;
    this.endCause = cause;
    if (!this.client.destroyed) this.client.resetAndDestroy();
    if (!this.server.destroyed) this.server.resetAndDestroy();
    this.onEnd(this, why);
  }
}
