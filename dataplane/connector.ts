// A connector: the real server that receives a routing key's flows on this site.
export interface ConnectorSpec {
  name: string;
  routingKey: string;
  host: string;
  port: number;
}

export class ConnectorTarget {
  ready = true;
  message = 'ready';
  flowsOpened = 0;
  flowsActive = 0;
  bytesIn = 0;
  bytesOut = 0;
  /** set when the connector is deleted: no new flows, existing ones drain */
  retired = false;

  constructor(readonly spec: ConnectorSpec) {}
}

/** The ready connector of `key` with the fewest open flows. */
export function pickConnector(all: Iterable<ConnectorTarget>, key: string): ConnectorTarget | undefined {
  let best: ConnectorTarget | undefined;
  for (const c of all) {
    if (c.spec.routingKey !== key || !c.ready || c.retired) continue;
    if (!best || c.flowsActive < best.flowsActive) best = c;
  }
  return best;
}
