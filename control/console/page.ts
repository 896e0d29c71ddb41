// The console page: plain HTML and a little script (served apart, so the page's CSP can forbid
// inline script) that follows /api/events (server-sent status events; it polls /api/status only when
// the stream is refused or unsupported) and draws the network graph, the services, live traffic and
// the flows table (filtered as ListFlows is, fetched again when the flow counters move), and the whole
// network's traffic (`traffic` events, /api/traffic: rates on links, per-service totals, per-site rows),
// and a page per site (page-site.ts, `#/site/NAME`). No build step, no external assets. Everything shown comes from peers and clients
// as well as from this site, so the script builds nodes and sets text, never HTML (issue 10 #10).
import { SITE_PAGE_HTML, SITE_SCRIPT } from './page-site.js';
import { SERVICES_SCRIPT } from './page-services.js';

export const CONSOLE_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>svcnet console</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/favicon.ico">
<style>
body{font:14px system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{background:#1d2330;color:#fff;padding:10px 20px;display:flex;flex-wrap:wrap;gap:4px 20px;align-items:baseline}
header h1{font-size:18px;margin:0} #site{min-width:0;overflow-wrap:anywhere}
/* Columns of at least 380 px while they fit, else one column: narrow windows stack the sections. */
main{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,380px),1fr));gap:16px;padding:16px}
section{background:#fff;border-radius:8px;padding:12px 16px;box-shadow:0 1px 3px #0002;min-width:0}
#graph{width:100%;max-width:390px;height:auto;display:block}
h2{font-size:15px;margin:4px 0 10px} .wide{grid-column:1/-1} .filters{display:flex;flex-wrap:wrap;gap:8px;margin-bottom:8px} .filters input{min-width:0} table{border-collapse:collapse;width:100%} td,th{text-align:left;padding:4px 6px;border-bottom:1px solid #eee}
/* Long names (63 characters) break anywhere; headers and short values (numbers, kinds) only at spaces.
   The flows table has many columns: in a narrow window it scrolls inside its box. */
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(220px,1fr));gap:12px} .charts figure{margin:0;min-width:0} .charts figcaption{font-size:12px;color:#667} .chart{width:100%;height:auto;display:block;background:#fafbfc} #chart-key{max-width:100%}
td.long{overflow-wrap:anywhere} .scroll{overflow-x:auto} #network-traffic{min-width:860px}
main[hidden]{display:none} #sp-name,#sp-state{overflow-wrap:anywhere} header a{color:#fff} circle.site,text.site{cursor:pointer}
.ok{color:#137333}.bad{color:#b3261e}.muted{color:#667} svg text{font-size:12px}
</style></head><body>
<header><h1>svcnet</h1><span id="site"></span><span class="muted" id="updated"></span></header>
<main id="network-page">
<section><h2>Network</h2><svg id="graph" viewBox="0 0 390 320" width="390" height="320"></svg></section>
<section class="wide"><h2>Services</h2><table id="services"></table></section>
<section><h2>Links</h2><table id="links"></table></section>
<section><h2>Traffic at this site</h2><table id="traffic"></table></section>
<section class="wide"><h2>Traffic across the network</h2><div class="scroll"><table id="network-traffic"></table></div></section>
<section class="wide"><h2>A service over the last 15 minutes</h2>
<div class="filters"><select id="chart-key" aria-label="service"></select><span class="muted" id="chart-note"></span></div>
<div class="charts"><figure><figcaption>new flows/s (failed in red)</figcaption><svg id="chart-flows" class="chart" viewBox="0 0 300 120"></svg></figure>
<figure><figcaption>bytes/s to the server (blue) and to the client (green)</figcaption><svg id="chart-bytes" class="chart" viewBox="0 0 300 120"></svg></figure>
<figure><figcaption>time to first byte, ms: p50 (blue), p99 (orange)</figcaption><svg id="chart-ttfb" class="chart" viewBox="0 0 300 120"></svg></figure>
<figure><figcaption>HTTP requests/s: 2xx (green), 3xx (blue), 4xx (orange), 5xx (red), 1xx (purple), no response (grey)</figcaption><svg id="chart-http" class="chart" viewBox="0 0 300 120"></svg></figure></div></section>
<section class="wide"><h2>Flows at this site</h2>
<form id="flow-filter" class="filters">
<input id="f-key" placeholder="routing key" aria-label="routing key">
<input id="f-site" placeholder="site" aria-label="site">
<select id="f-state" aria-label="state"><option value="">active and recent</option><option value="active">active</option><option value="recent">recent</option></select>
<select id="f-outcome" aria-label="outcome"><option value="">any outcome</option><option>closed</option><option>reset_by_client</option><option>reset_by_server</option><option>reset_by_network</option><option>aborted</option><option>refused</option><option>no_route</option></select>
</form>
<div class="scroll"><table id="flows"></table></div></section>
</main>
${SITE_PAGE_HTML}
<script src="/console.js"></script>
</body></html>`;

/** The page's script. Strings reach the DOM only as text nodes; numbers only when finite. */
export const CONSOLE_SCRIPT = `'use strict';
const $ = (id) => document.getElementById(id);
const SVG = 'http://www.w3.org/2000/svg';
// Any value as display text: strings as they are (rendered as text, so markup stays inert), finite numbers, else '-'.
const str = (v) => (typeof v === 'string' ? v : num(v));
const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? String(v) : '-');
const list = (v) => (Array.isArray(v) ? v : []);
// An element with a class and children (strings become text nodes).
function el(tag, cls, ...children) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  for (const c of children) e.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return e;
}
function svgEl(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, typeof v === 'number' ? num(v) : v);
  if (text !== undefined) e.textContent = text;
  return e;
}
// Replaces a table's rows: a header, then one row per entry (each cell a string, a node or an array of them).
function table(id, header, rows) {
  const t = $(id);
  t.replaceChildren(el('tr', '', ...header.map((h) => el('th', '', h))));
  const cell = (c) => { const td = el('td', '', ...(Array.isArray(c) ? c : [c])); if (td.textContent.length > 16) td.className = 'long'; return td; };
  for (const r of rows) t.append(el('tr', '', ...r.map(cell)));
}
const state = (status) => el('span', status === 'ready' ? 'ok' : 'bad', str(status));
// A graph label: at most 24 characters drawn (long names would leave the drawing), the whole text as its tooltip.
function label(t, text) {
  t.textContent = text.length > 24 ? text.slice(0, 23) + '\u2026' : text;
  t.append(svgEl('title', {}, text));
  return t;
}
// Up to GRAPH_LABELLED sites are drawn with their names and keys; a larger network is drawn as small
// nodes on a ring wide enough that they never overlap, names and keys in each node's tooltip.
const GRAPH_LABELLED = 12;
function graph(s) {
  const sites = list(s.network && s.network.sites), n = sites.length, big = n > GRAPH_LABELLED;
  const node = big ? 7 : 22, r = n < 2 ? 0 : big ? Math.max(120, n * (2 * node + 12) / (2 * Math.PI)) : 120;
  const w = Math.max(390, 2 * r + 150), h = Math.max(320, 2 * r + (big ? 40 : 80)), cx = w / 2, cy = big ? h / 2 : 160;
  const pos = new Map(sites.map((x, i) => [x.id, [cx + r * Math.cos(2 * Math.PI * i / n - Math.PI / 2), cy + r * Math.sin(2 * Math.PI * i / n - Math.PI / 2)]]));
  // Drawn apart, then swapped in only when it differs: a graph redrawn at every event would take a
  // site away from under a click.
  const live = $('graph'), g = document.createElementNS(SVG, 'svg');
  live.setAttribute('viewBox', '0 0 ' + num(w) + ' ' + num(h));
  live.setAttribute('width', num(w));
  live.setAttribute('height', num(h));
  const names = new Map(sites.map((x) => [x.id, str(x.name)]));
  const reach = new Map(sites.map((x) => [x.id, x.cost !== null]));
  // A link is drawn when either end's record lists it. Right after a cut the end that saw it go has
  // withdrawn it while the other end's last record (a dead site's stays until it expires) still
  // lists it: drawn down, as is a link to an unreachable site or one the traffic summaries report down.
  const pairs = new Map();
  for (const x of sites) for (const l of list(x.links)) if (pos.has(l.peer) && l.peer !== x.id) {
    const [a, b] = x.id < l.peer ? [x.id, l.peer] : [l.peer, x.id];
    const p = pairs.get(a + ' ' + b) || { a, b, cost: l.cost, ends: 0 };
    p.ends++;
    pairs.set(a + ' ' + b, p);
  }
  for (const { a: ia, b: ib, cost, ends } of pairs.values()) {
    const [a, b] = [pos.get(ia), pos.get(ib)];
    const t = linkTraffic(ia, names.get(ia), ib, names.get(ib));
    const down = ends < 2 || !reach.get(ia) || !reach.get(ib) || Boolean(t && (t.stale || !t.up));
    const text = num(cost) + (down ? ' \u00b7 down' : t ? ' \u00b7 ' + rate(t.rate) : '');
    const line = svgEl('line', { x1: a[0], y1: a[1], x2: b[0], y2: b[1], stroke: down ? '#b3261e' : '#8a94a6', 'stroke-width': t && t.rate > 0 && !down ? '3' : big ? '1' : '2', class: down ? 'link down' : 'link up', ...(down ? { 'stroke-dasharray': '6 4' } : {}) });
    line.append(svgEl('title', {}, names.get(ia) + ' \u2013 ' + names.get(ib) + ': cost ' + text));
    g.append(line);
    if (!big) g.append(svgEl('text', { x: (a[0] + b[0]) / 2, y: (a[1] + b[1]) / 2, fill: down ? '#b3261e' : '#667' }, text));
  }
  for (const x of sites) {
    const [px, py] = pos.get(x.id), me = x.id === s.site.id, up = x.cost !== null;
    const c = svgEl('circle', { cx: px, cy: py, r: num(node), fill: me ? '#1a73e8' : up ? '#34a853' : '#bbb', class: 'site' });
    c.append(svgEl('title', {}, str(x.name) + (list(x.keys).length ? ': ' + list(x.keys).map(str).join(', ') : '')));
    c.setAttribute('data-site', str(x.name)); // a click opens its page (below)
    g.append(c);
    if (big && !me) continue;
    g.append(label(svgEl('text', { x: px, y: py + node + 14, 'text-anchor': 'middle', class: 'site', 'data-site': str(x.name) }), str(x.name)));
    if (!big) g.append(label(svgEl('text', { x: px, y: py + 50, 'text-anchor': 'middle', fill: '#667' }), list(x.keys).map(str).join(', ')));
  }
  if (big) g.append(svgEl('text', { x: 8, y: h - 8, fill: '#667' }, n + ' sites: point at a site or a link for its name, keys, cost and rate'));
  if (g.innerHTML !== live.innerHTML) live.replaceChildren(...g.childNodes);
}
// A site in the graph opens its page (page-site.ts).
$('graph').addEventListener('click', (e) => {
  const t = e.target instanceof Element ? e.target.closest('[data-site]') : null;
  if (t) location.hash = '#/site/' + encodeURIComponent(t.getAttribute('data-site'));
});
// The network's traffic (/api/traffic, \`traffic\` events): the last view, and the link between two sites as either end reports it.
let traffic = null;
function linkTraffic(aId, aName, bId, bName) {
  for (const [id, peer] of [[aId, bName], [bId, aName]]) {
    const site = list(traffic && traffic.sites).find((x) => x.id === id);
    const rows = site ? list(site.links).filter((l) => str(l.peer) === peer) : [];
    if (rows.length) return { rate: rows.reduce((n, l) => n + (Number(l.rateIn) || 0) + (Number(l.rateOut) || 0), 0), up: rows.some((l) => l.up === true), stale: site.stale === true };
  }
  return null;
}
const rate = (v) => (typeof v !== 'number' || !Number.isFinite(v) ? '-' : bytes(Math.round(v)) + '/s');
function networkTable() {
  const ms = (v) => (typeof v === 'number' && v >= 0 ? v.toFixed(1) : '-');
  const rows = [];
  const MAX_ROWS = 500;
  let more = 0;
  for (const x of list(traffic && traffic.sites)) {
    // A function: a DOM node can sit in one row only.
    const who = () => [siteLink(x.name), ' ', x.stale ? el('span', 'bad', 'stale ' + Math.round((Number(x.ageMs) || 0) / 1000) + ' s' + (x.reachable ? '' : ', unreachable')) : el('span', 'ok', 'fresh')];
    for (const k of list(x.keys)) if (rows.length >= MAX_ROWS) more++; else rows.push([who(), str(k.key), str(k.role) + (k.node ? ' (' + str(k.node) + (k.stale ? ', stale' : '') + ')' : ''), str(k.peerSite), num(k.active), num(k.opened), num(k.failed),
      bytes(k.bytesToServer), bytes(k.bytesToClient), rate(k.rateToServer + k.rateToClient), ms(k.ttfbP50Ms) + ' / ' + ms(k.ttfbP99Ms)]);
    for (const l of list(x.links)) if (rows.length >= MAX_ROWS) more++; else rows.push([who(), 'link ' + str(l.name), str(l.direction), str(l.peer), l.up ? el('span', 'ok', 'up') : el('span', 'bad', 'down'), '', '', bytes(l.bytesOut), bytes(l.bytesIn), rate(l.rateIn + l.rateOut), '']);
  }
  if (more) rows.push([el('span', 'muted', num(more) + ' more rows: /api/traffic has them all'), '', '', '', '', '', '', '', '', '', '']);
  table('network-traffic', ['site', 'routing key / link', 'role', 'peer site', 'open', 'flows', 'failed', 'to server / out', 'to client / in', 'rate', 'first byte p50 / p99 ms'], rows);
}
function showTraffic(t) {
  traffic = t;
  if (last) { graph(last); services(last); }
  networkTable();
  chartsFollow();
  siteFollow();
}
// The service charts: /api/history, the chosen key's last 15 minutes, drawn as polylines; fetched
// again with the traffic events at most every 5 s, and when another key is chosen.
let chartsAt = 0;
function chartsFollow() { if (Date.now() - chartsAt >= 5000) charts().catch(() => {}); }
function plot(id, points, lines) {
  const g = $(id), W = 300, H = 120, pad = 4;
  g.replaceChildren();
  // The site's clock, not the browser's: the newest point is the right edge.
  const t0 = Math.max(0, ...points.map((p) => Number(p.t) || 0)) - 15 * 60000;
  let max = 0;
  for (const [field] of lines) for (const p of points) if (Number.isFinite(p[field]) && p[field] > max) max = p[field];
  g.append(svgEl('text', { x: pad, y: 12, fill: '#667' }, max > 0 ? 'max ' + (id === 'chart-bytes' ? rate(max) : max.toFixed(max < 10 ? 2 : 0)) : 'no data yet'));
  if (max <= 0) return;
  for (const [field, colour] of lines) {
    const xy = points.filter((p) => Number.isFinite(p[field]) && p[field] >= 0)
      .map((p) => num(Math.round(pad + (W - 2 * pad) * Math.max(0, p.t - t0) / (15 * 60000))) + ',' + num(Math.round(H - pad - (H - 20) * p[field] / max)));
    if (xy.length) g.append(svgEl('polyline', { points: xy.join(' '), fill: 'none', stroke: colour, 'stroke-width': '2' }));
    if (xy.length === 1) { const [x, y] = xy[0].split(','); g.append(svgEl('circle', { cx: x, cy: y, r: '3', fill: colour })); } // one interval so far: a dot
  }
}
async function charts() {
  chartsAt = Date.now();
  const keys = list((await (await fetch('/api/history')).json()).keys).map(str);
  const sel = $('chart-key'), chosen = sel.value;
  if (keys.join('\\n') !== [...sel.options].map((o) => o.value).join('\\n')) {
    sel.replaceChildren(...keys.map((k) => { const o = el('option', '', k); o.value = k; return o; }));
    if (keys.includes(chosen)) sel.value = chosen;
  }
  $('chart-note').textContent = keys.length ? '' : 'no service has carried traffic in the last 15 minutes';
  if (!sel.value) { for (const id of ['chart-flows', 'chart-bytes', 'chart-ttfb', 'chart-http']) plot(id, [], []); return; }
  const h = await (await fetch('/api/history?' + new URLSearchParams({ key: sel.value }))).json();
  const points = list(h.points);
  $('chart-note').textContent = points.some((p) => p.stale) ? 'partly stale: some sites that carry it stopped reporting' : '';
  plot('chart-flows', points, [['flowsPerS', '#1a73e8'], ['failedPerS', '#b3261e']]);
  plot('chart-bytes', points, [['bytesToServerPerS', '#1a73e8'], ['bytesToClientPerS', '#137333']]);
  plot('chart-ttfb', points, [['ttfbP50Ms', '#1a73e8'], ['ttfbP99Ms', '#e8710a']]);
  // Status classes: present on the points of a key whose requests are observed (http1 listeners).
  plot('chart-http', points.map((p) => ({ t: p.t, ...(p.requestsPerS && typeof p.requestsPerS === 'object' ? p.requestsPerS : {}) })),
    [['2xx', '#137333'], ['3xx', '#1a73e8'], ['4xx', '#e8710a'], ['5xx', '#b3261e'], ['1xx', '#8e24aa'], ['none', '#888']]);
}
$('chart-key').addEventListener('change', () => { charts().catch(() => {}); });
let last = null;
// Draws one status (from the event stream or a poll).
function draw(s) {
  $('site').replaceChildren('site ', siteLink(s.site.name));
  $('updated').textContent = 'updated ' + new Date(s.updatedAt).toLocaleTimeString();
  graph(s);
  const listeners = list(s.listeners), connectors = list(s.connectors);
  services(s);
  table('links', ['link', 'direction', 'peer', 'cost', 'status'], list(s.links).map((l) => [str(l.name), str(l.direction), l.peer ? siteLink(l.peer) : '-', num(l.cost),
    [state(l.status), ' ', el('span', 'muted', str(l.message))]]));
  const seconds = last ? (Date.parse(s.updatedAt) - Date.parse(last.updatedAt)) / 1000 || 1 : 1;
  table('traffic', ['endpoint', 'kind', 'open flows', 'flows total', 'new flows/s'],
    [...listeners.map((l) => ['listener', l]), ...connectors.map((c) => ['connector', c])].map(([kind, x]) => {
      // A listener and a connector often share a name: the previous figure is the same kind's.
      const prev = last && list(kind === 'listener' ? last.listeners : last.connectors).find((y) => y.name === x.name);
      const r = prev && typeof x.flowsOpened === 'number' && typeof prev.flowsOpened === 'number' ? (x.flowsOpened - prev.flowsOpened) / seconds : NaN;
      const rate = Number.isFinite(r) ? r.toFixed(1) : '-';
      return [[str(x.name) + ' ', el('span', 'muted', str(x.routingKey))], kind, num(x.flowsActive), num(x.flowsOpened), rate];
    }));
  last = s;
}
const bytes = (v) => (typeof v !== 'number' || !Number.isFinite(v) ? '-' : v < 1024 ? v + ' B' : v < 1048576 ? (v / 1024).toFixed(1) + ' KiB' : v < 1073741824 ? (v / 1048576).toFixed(1) + ' MiB' : (v / 1073741824).toFixed(1) + ' GiB');
// The flows table: /api/flows with the filters of the form (the same query ListFlows takes).
async function flows() {
  const q = new URLSearchParams({ limit: '50' });
  for (const [id, k] of [['f-key', 'key'], ['f-site', 'site'], ['f-state', 'state'], ['f-outcome', 'outcome']]) { const v = $(id).value; if (v) q.set(k, v); }
  flowsTable('flows', await (await fetch('/api/flows?' + q)).json());
}
// A flows table (this page's, the site page's) from an /api/flows answer.
function flowsTable(id, r) {
  table(id, ['started', 'role', 'routing key', 'listener site', 'connector site', 'client', 'to server', 'to client', 'first byte', 'outcome'], list(r.flows).map((f) => [
    str(f.startedAt).slice(11, 23), str(f.role), str(f.routingKey), str(f.listenerSite), str(f.connectorSite), str(f.client), bytes(f.bytesToServer), bytes(f.bytesToClient),
    typeof f.ttfbMs === 'number' && f.ttfbMs >= 0 ? f.ttfbMs.toFixed(1) + ' ms' : '-',
    f.active ? el('span', 'ok', 'active') : el('span', f.outcome === 'closed' ? '' : 'bad', str(f.outcome))]));
}
$('flow-filter').addEventListener('submit', (e) => e.preventDefault());
$('flow-filter').addEventListener('change', () => { flows().catch(() => {}); });
// The flows table follows status events: fetched again when the flow counters moved or flows are
// open, at most once a second (a later change is caught by a trailing fetch).
let flowsSig = '', flowsAt = 0, flowsLater = null;
function flowsFollow(s) {
  let opened = 0, active = 0;
  for (const x of [...list(s.listeners), ...list(s.connectors)]) { opened += Number(x.flowsOpened) || 0; active += Number(x.flowsActive) || 0; }
  const sig = opened + ':' + active;
  if (sig === flowsSig && active === 0) return;
  const wait = flowsAt + 1000 - Date.now();
  if (wait > 0) { flowsLater ??= setTimeout(() => { flowsLater = null; flowsFollow(last || s); }, wait); return; }
  flowsSig = sig; flowsAt = Date.now();
  flows().catch(() => {});
}
function show(s) { draw(s); flowsFollow(s); siteFollow(); }
// Fallback when the stream is refused (too many pages open: 503) or EventSource is missing: poll
// every 2 s for a minute, then try the stream again.
let polling = null;
async function poll() {
  try {
    show(await (await fetch('/api/status')).json()); $('updated').textContent += ' (polling)';
    showTraffic(await (await fetch('/api/traffic')).json());
  } catch (e) { $('updated').textContent = 'site not reachable'; }
}
function fallback() {
  if (polling) return;
  poll(); polling = setInterval(poll, 2000);
  setTimeout(() => { clearInterval(polling); polling = null; live(); }, 60000);
}
// The live stream: EventSource reconnects by itself after a dropped connection; a refusal closes it.
function live() {
  if (typeof EventSource !== 'function') return fallback();
  const es = new EventSource('/api/events');
  es.addEventListener('status', (e) => { try { show(JSON.parse(e.data)); } catch (err) { /* a malformed event: keep the last view */ } });
  es.addEventListener('traffic', (e) => { try { showTraffic(JSON.parse(e.data)); } catch (err) { /* likewise */ } });
  es.onerror = () => {
    if (es.readyState === EventSource.CLOSED) fallback();
    else $('updated').textContent = 'site not reachable, reconnecting';
  };
}
${SERVICES_SCRIPT}
${SITE_SCRIPT}
route();
flows().catch(() => {});
charts().catch(() => {});
live();
`;
