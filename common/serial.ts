// One spelling of a certificate serial number, so the registry (node-forge hex) and a live TLS
// peer certificate (Node's upper-case hex) compare equal.
export function normalizeSerial(s: string): string {
  return s.toLowerCase().replace(/[^0-9a-f]/g, '').replace(/^0+(?=.)/, '');
}
