// The console page: plain HTML and a little script that polls /api/status every second and draws
// the network graph, the services and live traffic. No build step, no external assets.
export const CONSOLE_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>svcnet console</title>
<style>
body{font:14px system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{background:#1d2330;color:#fff;padding:10px 20px;display:flex;gap:20px;align-items:baseline}
header h1{font-size:18px;margin:0} main{display:grid;grid-template-columns:420px 1fr;gap:16px;padding:16px}
section{background:#fff;border-radius:8px;padding:12px 16px;box-shadow:0 1px 3px #0002}
h2{font-size:15px;margin:4px 0 10px} table{border-collapse:collapse;width:100%} td,th{text-align:left;padding:4px 6px;border-bottom:1px solid #eee}
.ok{color:#137333}.bad{color:#b3261e}.muted{color:#667} svg text{font-size:12px}
</style></head><body>
<header><h1>svcnet</h1><span id="site"></span><span class="muted" id="updated"></span></header>
<main>
<section><h2>Network</h2><svg id="graph" width="390" height="320"></svg></section>
<section><h2>Services</h2><table id="services"></table></section>
<section><h2>Links</h2><table id="links"></table></section>
<section><h2>Traffic at this site</h2><table id="traffic"></table></section>
</main>
<script>
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? '').replace(/[&<>"]/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
function row(cells, th) { return '<tr>' + cells.map((c) => th ? '<th>' + c + '</th>' : '<td>' + c + '</td>').join('') + '</tr>'; }
function graph(s) {
  const sites = s.network.sites, n = sites.length, cx = 195, cy = 160, r = n > 1 ? 120 : 0;
  const pos = new Map(sites.map((x, i) => [x.id, [cx + r * Math.cos(2 * Math.PI * i / n - Math.PI / 2), cy + r * Math.sin(2 * Math.PI * i / n - Math.PI / 2)]]));
  let svg = '';
  for (const x of sites) for (const l of x.links) if (pos.has(l.peer) && x.id < l.peer) {
    const [a, b] = [pos.get(x.id), pos.get(l.peer)];
    svg += '<line x1="' + a[0] + '" y1="' + a[1] + '" x2="' + b[0] + '" y2="' + b[1] + '" stroke="#8a94a6" stroke-width="2"/>';
    svg += '<text x="' + (a[0] + b[0]) / 2 + '" y="' + (a[1] + b[1]) / 2 + '" fill="#667">' + l.cost + '</text>';
  }
  for (const x of sites) {
    const [px, py] = pos.get(x.id), me = x.id === s.site.id, up = x.cost !== null;
    svg += '<circle cx="' + px + '" cy="' + py + '" r="22" fill="' + (me ? '#1a73e8' : up ? '#34a853' : '#bbb') + '"/>';
    svg += '<text x="' + px + '" y="' + (py + 36) + '" text-anchor="middle">' + esc(x.name) + '</text>';
    svg += '<text x="' + px + '" y="' + (py + 50) + '" text-anchor="middle" fill="#667">' + esc(x.keys.join(', ')) + '</text>';
  }
  $('graph').innerHTML = svg;
}
let last = null;
async function tick() {
  try {
    const s = await (await fetch('/api/status')).json();
    $('site').textContent = 'site ' + s.site.name;
    $('updated').textContent = 'updated ' + new Date(s.updatedAt).toLocaleTimeString();
    graph(s);
    const keys = new Map();
    for (const x of s.network.sites) for (const k of x.keys) keys.set(k, [...(keys.get(k) || []), x.name + (x.cost === null ? ' (unreachable)' : ' (cost ' + x.cost + ')')]);
    for (const l of s.listeners) if (!keys.has(l.routingKey)) keys.set(l.routingKey, []);
    $('services').innerHTML = row(['routing key', 'listeners here', 'served by'], true) + [...keys].map(([k, v]) => row([esc(k),
      s.listeners.filter((l) => l.routingKey === k).map((l) => esc(l.name) + ':' + l.port + ' <span class="' + (l.status === 'ready' ? 'ok' : 'bad') + '">' + esc(l.status) + '</span>').join('<br>') || '-',
      esc(v.join(', ')) || '<span class="bad">no connector</span>'])).join('');
    $('links').innerHTML = row(['link', 'direction', 'peer', 'cost', 'status'], true) + s.links.map((l) => row([esc(l.name), l.direction, esc(l.peer || '-'), l.cost ?? '-',
      '<span class="' + (l.status === 'ready' ? 'ok' : 'bad') + '">' + esc(l.status) + '</span> <span class="muted">' + esc(l.message) + '</span>'])).join('');
    $('traffic').innerHTML = row(['endpoint', 'kind', 'open flows', 'flows total', 'new flows/s'], true) +
      [...s.listeners.map((l) => ['listener', l]), ...s.connectors.map((c) => ['connector', c])].map(([kind, x]) => {
        const prev = last && [...last.listeners, ...last.connectors].find((y) => y.name === x.name);
        const rate = prev ? ((x.flowsOpened - prev.flowsOpened) / ((Date.parse(s.updatedAt) - Date.parse(last.updatedAt)) / 1000 || 1)).toFixed(1) : '-';
        return row([esc(x.name) + ' <span class="muted">' + esc(x.routingKey) + '</span>', kind, x.flowsActive, x.flowsOpened, rate]);
      }).join('');
    last = s;
  } catch (e) { $('updated').textContent = 'site not reachable'; }
}
tick(); setInterval(tick, 1000);
</script></body></html>`;
