// Header handling of the request-balanced proxy (issue 13): the end-to-end headers pass as the
// peer sent them (names' case, values, order; a repeated header is kept, grouped at its first place
// by Node); the hop-by-hop ones (RFC 9110 7.6.1) belong to one connection and are not passed on,
// since each side's connection is svcnet's own (pooled upstream, kept-alive downstream). Pure.

/** Hop-by-hop headers always dropped. Transfer-Encoding is kept: Node frames the body again from it. */
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'upgrade', 'proxy-authenticate', 'proxy-authorization']);

/** `raw` (Node's rawHeaders: name, value, name, value…) without hop-by-hop headers or those the Connection header names. */
export function endToEnd(raw: readonly string[]): string[] {
  let named: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].toLowerCase() !== 'connection') continue;
    named ??= new Set();
    for (const t of raw[i + 1].split(',')) named.add(t.trim().toLowerCase());
  }
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (HOP.has(name) || named?.has(name)) continue;
    out.push(raw[i], raw[i + 1]);
  }
  return out;
}

/** The request head as text, for an Upgrade or CONNECT that continues as raw bytes: every header as sent, hop-by-hop included. */
export function requestHead(method: string, url: string, version: string, raw: readonly string[]): string {
  let s = `${method} ${url} HTTP/${version}\r\n`;
  for (let i = 0; i < raw.length; i += 2) s += `${raw[i]}: ${raw[i + 1]}\r\n`;
  return `${s}\r\n`;
}

/** Whether the request has a body to carry (a length above 0, or a transfer coding). */
export function hasBody(headers: { 'content-length'?: string; 'transfer-encoding'?: string }): boolean {
  return headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0');
}
