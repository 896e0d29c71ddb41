// Which Host headers the console answers: its own address only, so a page served from another name
// that rebinds to 127.0.0.1 (DNS rebinding) cannot read the console or /api/status.

const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * True when `host` (a Host header) names `port` on a loopback name or on `boundHost`. A missing
 * port means 80. Names compare case-insensitively, with a trailing dot ignored ("localhost.").
 */
export function hostAllowed(host: string | undefined, port: number, boundHost?: string): boolean {
  if (!host) return false;
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(host.trim());
  if (!m) return false;
  const name = m[1].toLowerCase().replace(/\.$/, '');
  const p = m[2] === undefined ? 80 : Number(m[2]);
  if (p !== port) return false;
  return LOOPBACK_NAMES.has(name) || (boundHost !== undefined && name === boundHost.toLowerCase());
}
