// The console's services table (issue 12 item 3): the part of the page's script that draws it — per
// routing key, every site with a listener and every site with a connector (from /api/traffic's
// `services[].listeners/connectors`, traffic-view.ts) with readiness, rate, failed flows and stale
// marking, each a link to its site page; this site's listeners by name and state; sites only the
// routing records name, by cost; and the key's network totals. Uses page.ts's and page-site.ts's helpers.

export const SERVICES_SCRIPT = `
// The services table: each key, every site with a listener of it and every site with a connector
// (readiness, rate, failed flows, stale marked; this site's listeners by name and state; sites the
// routing records name that no summary tells of, by cost), and its traffic across the network.
function serviceEnd(e, extra) {
  const ready = typeof e.total === 'number' && typeof e.ready === 'number' ? el('span', e.ready === e.total && !e.stale ? 'ok' : 'bad', num(e.ready) + '/' + num(e.total) + ' ready') : el('span', 'muted', 'readiness not shared');
  const figures = rate(e.rate) + (e.failed > 0 ? ', ' : '');
  return el('div', 'end', siteLink(e.site), ' ', ready, ...extra, ' \u00b7 ' + figures, ...(e.failed > 0 ? [el('span', 'bad', num(e.failed) + ' failed')] : []), ...(e.stale ? [' ', el('span', 'bad', 'stale')] : []));
}
function services(s) {
  const listeners = list(s.listeners);
  const me = str(s.site && s.site.name);
  const keys = new Map();
  for (const x of list(s.network && s.network.sites)) for (const k of list(x.keys)) keys.set(str(k), [...(keys.get(str(k)) || []), x]);
  for (const l of listeners) if (!keys.has(str(l.routingKey))) keys.set(str(l.routingKey), []);
  for (const t of list(traffic && traffic.services)) if (!keys.has(str(t.key))) keys.set(str(t.key), []);
  const totals = new Map(list(traffic && traffic.services).map((t) => [str(t.key), t]));
  table('services', ['routing key', 'listeners (site: ready, rate, failed)', 'connectors (site: ready, rate, failed)', 'network traffic'], [...keys].map(([k, recs]) => {
    const t = totals.get(k);
    const here = listeners.filter((l) => str(l.routingKey) === k).flatMap((l) => [' ' + str(l.name) + ':' + num(l.port) + ' ', state(l.status)]);
    const ls = list(t && t.listeners).map((e) => serviceEnd(e, str(e.site) === me ? here : []));
    if (here.length && !list(t && t.listeners).some((e) => str(e.site) === me)) ls.unshift(el('div', 'end', siteLink(me), ...here));
    const cs = list(t && t.connectors).map((e) => {
      const rec = recs.find((x) => str(x.name) === str(e.site));
      return serviceEnd(e, rec ? [' ', el('span', 'muted', rec.cost === null ? '(unreachable)' : '(cost ' + num(rec.cost) + ')')] : []);
    });
    for (const x of recs) if (!list(t && t.connectors).some((e) => str(e.site) === str(x.name))) cs.push(el('div', 'end', siteLink(x.name), ' ' + (x.cost === null ? '(unreachable)' : '(cost ' + num(x.cost) + ')')));
    // HTTP requests by status class, where http1 listeners observe the key.
    const req = t && t.requests && typeof t.requests === 'object' ? ['1xx', '2xx', '3xx', '4xx', '5xx', 'none'].filter((c) => t.requests[c] > 0).map((c) => c + ' ' + num(t.requests[c])) : [];
    const net = t ? [num(t.active) + ' open, ' + num(t.opened) + ' flows, ' + num(t.failed) + ' failed, ' + bytes(t.bytesToServer + t.bytesToClient) + ', ' + rate(t.rateToServer + t.rateToClient) + (req.length ? '; HTTP ' + req.join(', ') : ''), ...(t.stale ? [' ', el('span', 'bad', '(partly stale)')] : [])] : '-';
    return [k, ls.length ? ls : '-', cs.length ? cs : el('span', 'bad', 'no connector'), net];
  }));
}
`;
