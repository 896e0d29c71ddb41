// A local splice: a listener's client joined to a connector's server on this same site, in this
// process. It runs the Flow state machine (flow.ts FLOW_TRANSITIONS) and ends like a Flow, once,
// with its byte counts, so flow setup accounts for it and reports it as it does any other flow.
import type { Socket } from 'node:net';
import { FlowState, FLOW_TRANSITIONS } from './flow.js';
import { StateMachine, type IllegalTransition } from './state-machine.js';
import type { Drainable } from './connector.js';

export class LocalSplice implements Drainable {
  /** bytes read from the client (and written to the server) */
  bytesFromApp = 0;
  /** bytes read from the server (and written to the client) */
  bytesToApp = 0;
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
    client.on('data', (chunk: Buffer) => { this.bytesFromApp += chunk.length; });
    server.on('data', (chunk: Buffer) => { this.bytesToApp += chunk.length; });
    // pipe() carries the bytes with backpressure and passes each FIN on (both sockets allow half-open).
    client.pipe(server);
    server.pipe(client);
    client.on('end', () => this.finEnded(FlowState.LocalClosed));
    server.on('end', () => this.finEnded(FlowState.RemoteClosed));
    client.on('error', (err) => this.reset(err.message));
    server.on('error', (err) => this.reset(err.message));
    client.on('close', () => this.socketClosed());
    server.on('close', () => this.socketClosed());
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
  private socketClosed(): void {
    if (!this.over) this.reset('application socket closed');
  }

  /** Drainable: the connector was deleted and its drain time is over (or the site shuts down). */
  resetLocal(_code: number, why: string): void { this.reset(why); }

  /** Resets both sockets (each side sees a reset, as a remote flow's app socket would). */
  reset(why: string): void {
    if (this.over || !this.machine.to(FlowState.Reset)) return;
    if (!this.client.destroyed) this.client.resetAndDestroy();
    if (!this.server.destroyed) this.server.resetAndDestroy();
    this.onEnd(this, why);
  }
}
