// The console's site page (issue 12 item 3): its HTML and the part of the page's script that shows
// it. `#/site/NAME` (a site in the graph, a site name in a table) hides the network page and shows
// /api/sites/NAME (site-view.ts) — links with rate each way, listeners and connectors, traffic per
// key (with HTTP requests by status class) and per peer, stale marking — and the flows at this site to or from that site, fetched again
// with the status and traffic events at most once a second, and a Measure panel (page-bench.ts). The script uses page.ts's helpers.
import { BENCH_HTML, BENCH_SCRIPT } from './page-bench.js';

export const SITE_PAGE_HTML = `<main id="site-page" hidden>
<section class="wide"><h2><a href="#">Network</a> \u203a site <span id="sp-name"></span></h2><div id="sp-state"></div></section>
${BENCH_HTML}
<section class="wide"><h2>Links</h2><div class="scroll"><table id="sp-links"></table></div></section>
<section class="wide"><h2>Listeners and connectors</h2><div class="scroll"><table id="sp-endpoints"></table></div></section>
<section class="wide"><h2>Traffic per service</h2><div class="scroll"><table id="sp-keys"></table></div></section>
<section class="wide"><h2>Traffic per peer site</h2><div class="scroll"><table id="sp-peers"></table></div></section>
<section class="wide"><h2 id="sp-flows-title">Flows</h2><div class="scroll"><table id="sp-flows"></table></div></section>
</main>`;

export const SITE_SCRIPT = `
// The site page: the site named in the location's hash, or null on the network page.
const sitePage = { name: null, at: 0, later: null };
// A link to a site's page (the name URI-encoded into the hash: no markup, no other scheme).
function siteLink(name) { const a = el('a', '', str(name)); a.href = '#/site/' + encodeURIComponent(str(name)); return a; }
function route() {
  const m = /^#\\/site\\/(.+)$/.exec(location.hash);
  let name = null;
  if (m) try { name = decodeURIComponent(m[1]); } catch (e) { name = null; }
  sitePage.name = name;
  $('network-page').hidden = name !== null;
  $('site-page').hidden = name === null;
  benchReset();
  if (name !== null) { $('sp-name').textContent = name; for (const id of ['sp-state', 'sp-links', 'sp-endpoints', 'sp-keys', 'sp-peers', 'sp-flows']) $(id).replaceChildren(); siteFollow(true); }
}
function siteFollow(now) {
  if (sitePage.name === null) return;
  const wait = now ? 0 : sitePage.at + 1000 - Date.now();
  if (wait > 0) { sitePage.later ??= setTimeout(() => { sitePage.later = null; siteFollow(true); }, wait); return; }
  sitePage.at = Date.now();
  siteShow(sitePage.name).catch(() => {});
}
const staleMark = (stale) => (stale ? [' ', el('span', 'bad', 'stale')] : []);
const both = (a, b) => rate(a) + ' / ' + rate(b);
async function siteShow(name) {
  const r = await fetch('/api/sites/' + encodeURIComponent(name));
  if (name !== sitePage.name) return;
  if (r.status === 404) { $('sp-state').replaceChildren(el('span', 'bad', 'no site of this name in the network')); return; }
  const v = await r.json();
  benchTargets(v);
  const age = typeof v.ageMs === 'number' ? Math.round(v.ageMs / 1000) + ' s' : '';
  $('sp-state').replaceChildren(
    v.self ? el('span', 'ok', 'this site') : v.reachable ? el('span', 'ok', 'reachable, cost ' + num(v.cost)) : el('span', 'bad', 'unreachable'), ' \\u00b7 ',
    v.stale === null ? el('span', 'muted', 'no traffic summary of it yet') : v.stale ? el('span', 'bad', 'traffic figures stale (' + age + ' old)') : el('span', 'ok', 'traffic figures fresh'),
    ...(list(v.staleNodes).length ? [' ', el('span', 'bad', 'stale engines: ' + list(v.staleNodes).map(str).join(', '))] : []),
    ' \\u00b7 serves: ' + (list(v.keys).length ? list(v.keys).map(str).join(', ') : 'nothing'));
  table('sp-links', ['link', 'direction', 'peer site', 'cost', 'state', 'rate in / out', 'bytes in / out'], list(v.links).map((l) => [
    str(l.name) + (l.node ? ' (' + str(l.node) + ')' : ''), str(l.direction), l.peer ? siteLink(l.peer) : '-', l.cost === null ? '-' : num(l.cost),
    [el('span', l.up ? 'ok' : 'bad', l.up ? 'up' : 'down'), ...(l.status ? [' ', el('span', 'muted', str(l.status) + (l.message ? ': ' + str(l.message) : ''))] : []), ...staleMark(l.stale)],
    l.rateIn === null ? '-' : both(l.rateIn, l.rateOut), l.bytesIn === null ? '-' : bytes(l.bytesIn) + ' / ' + bytes(l.bytesOut)]));
  table('sp-endpoints', ['kind', 'name', 'routing key', 'address', 'ready', 'open', 'flows', 'rate to server / client'], list(v.endpoints).map((e) => [
    str(e.kind), e.name ? str(e.name) : '-', str(e.key), e.address ? str(e.address) : '-',
    e.ready === null ? el('span', 'muted', 'not shared (older site)') : [el('span', e.ready ? 'ok' : 'bad', (typeof e.total === 'number' ? num(e.readyCount) + '/' + num(e.total) + ' ' : '') + (e.ready ? 'ready' : 'not ready')), ...(e.message ? [' ', el('span', 'muted', str(e.message))] : [])],
    num(e.active), num(e.opened), both(e.rateToServer, e.rateToClient)]));
  const classes = (r) => (r && typeof r === 'object' ? ['1xx', '2xx', '3xx', '4xx', '5xx', 'none'].filter((c) => r[c] > 0).map((c) => c + ' ' + num(r[c])).join(', ') || '-' : '-');
  table('sp-keys', ['routing key', 'role', 'open', 'flows', 'failed', 'to server / client', 'rate', 'HTTP requests'], list(v.perKey).map((k) => [
    str(k.key), [str(k.role), ...staleMark(k.stale)], num(k.active), num(k.opened), num(k.failed), bytes(k.bytesToServer) + ' / ' + bytes(k.bytesToClient), both(k.rateToServer, k.rateToClient), classes(k.requests)]));
  table('sp-peers', ['peer site', 'open', 'flows', 'failed', 'to server / client', 'rate'], list(v.perPeer).map((p) => [
    [siteLink(p.peerSite), ...staleMark(p.stale)], num(p.active), num(p.opened), num(p.failed), bytes(p.bytesToServer) + ' / ' + bytes(p.bytesToClient), both(p.rateToServer, p.rateToClient)]));
  // Flow records live where the flows pass: this site's, all of them or those to or from that site.
  const q = new URLSearchParams({ limit: '50' });
  if (!v.self) q.set('site', name);
  $('sp-flows-title').textContent = v.self ? 'Flows at this site' : 'Flows at this site to or from ' + name;
  flowsTable('sp-flows', await (await fetch('/api/flows?' + q)).json());
}
window.addEventListener('hashchange', route);
${BENCH_SCRIPT}`;
