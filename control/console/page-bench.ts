// The site page's "Measure" panel (issue 14 item 2): on a peer's page one button (a bench from this
// site to that site), on this site's own page one per linked peer. A click POSTs /api/bench
// (bench-route.ts) and reads its server-sent events from the response: a progress line, then the
// figures (path, throughput, latency p50/p90/p99, new flows/s) or the error as one line. Stop, leaving
// the page or closing the tab ends the response, which cancels the run. The script uses page.ts's helpers.

export const BENCH_HTML = `<section class="wide" id="bench"><h2>Measure</h2>
<style>#bench-result{max-width:640px;margin-top:6px} #bench-result td:first-child{width:6.5em;color:#667} #bench-status{overflow-wrap:anywhere}</style>
<div class="filters"><span id="bench-buttons" style="display:flex;flex-wrap:wrap;gap:8px"></span><span id="bench-stop"></span></div><div id="bench-status" role="status"></div><table id="bench-result"></table></section>`;

export const BENCH_SCRIPT = `
// The run in progress (its AbortController) and the targets the buttons were drawn for.
const bench = { run: null, targets: '' };
const fixed = (v, d) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : '-');
// Called by route(): a new page forgets the last figures and stops a run still going.
function benchReset() {
  bench.run?.abort();
  bench.run = null;
  bench.targets = '';
  for (const id of ['bench-buttons', 'bench-stop', 'bench-status', 'bench-result']) $(id).replaceChildren();
}
// Called with each site view: the buttons, redrawn only when the targets change (not under a click).
function benchTargets(v) {
  const targets = v.self ? [...new Set(list(v.links).map((l) => l.peer).filter((p) => typeof p === 'string' && p))] : [str(v.name ?? sitePage.name)];
  const key = JSON.stringify(targets);
  if (key === bench.targets) return;
  bench.targets = key;
  $('bench-buttons').replaceChildren(...(targets.length ? targets.map((t) => {
    const b = el('button', 'bench-go', 'Measure to ' + t);
    b.type = 'button';
    b.dataset.to = t;
    b.disabled = bench.run !== null;
    b.addEventListener('click', () => benchRun(t));
    return b;
  }) : [el('span', 'muted', 'no linked site to measure toward')]));
}
function benchBusy(on) { for (const b of document.querySelectorAll('#bench-buttons button')) b.disabled = on; }
function benchLine(cls, text) { $('bench-status').replaceChildren(el('span', cls, text)); }
function benchShow(r) {
  const p = r.path || {}, hops = num(p.hops);
  const links = list(p.links).map((l) => str(l.from) + '-' + str(l.to) + ' cost ' + num(l.cost)).join(', ');
  const t = r.throughput || {}, l = r.latency || {}, f = r.rate || {};
  table('bench-result', ['measure', str(r.from && r.from.name) + ' \\u2192 ' + str(r.to && r.to.name)], [
    ['path', list(p.sites).map((s) => str(s.name)).join(' \\u2192 ') + ' (' + hops + (p.hops === 1 ? ' hop' : ' hops') + (links ? ': ' + links : '') + ')'],
    ['ends', r.ends === 'engine' ? 'engine to engine (the network alone)' : 'loopback sockets at both ends (what applications get)'],
    ['throughput', fixed(t.totalGbps, 2) + ' Gbit/s over ' + num(t.flows) + (t.flows === 1 ? ' flow' : ' flows') + ' (' + bytes(t.bytes) + ' in ' + fixed(t.seconds, 1) + ' s)'],
    ['latency', 'p50 ' + fixed(l.p50Ms, 3) + ' ms, p90 ' + fixed(l.p90Ms, 3) + ' ms, p99 ' + fixed(l.p99Ms, 3) + ' ms (' + num(l.samples) + ' round trips)'],
    ['new flows', fixed(f.flowsPerSec, 0) + '/s' + (f.failed ? ' (' + num(f.failed) + ' failed)' : '')],
    ...list(r.notes).map((n) => ['note', str(n)]),
  ]);
}
// Server-sent events from a POST response (EventSource only GETs): blocks split on blank lines.
async function benchRun(to) {
  if (bench.run) return;
  const ctl = new AbortController();
  bench.run = ctl;
  benchBusy(true);
  $('bench-result').replaceChildren();
  benchLine('muted', 'starting a bench to ' + to + '\\u2026');
  const stop = el('button', '', 'Stop');
  stop.type = 'button';
  stop.addEventListener('click', () => ctl.abort());
  // Apart from the buttons, which a change of the site's links may redraw during the run.
  $('bench-stop').replaceChildren(stop);
  // Lines for this run only: a run stopped by leaving the page does not write on the next one.
  const say = (cls, text) => { if (bench.run === ctl) benchLine(cls, text); };
  let done = false;
  try {
    const r = await fetch('/api/bench', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to, durationMs: 5000 }), signal: ctl.signal });
    if (!r.ok) { const e = await r.json().catch(() => ({})); say('bad', str(e.error || 'bench refused (HTTP ' + r.status + ')')); done = true; return; }
    const reader = r.body.getReader(), dec = new TextDecoder();
    let buf = '';
    for (;;) {
      const { value, done: eof } = await reader.read();
      if (eof) break;
      buf += dec.decode(value, { stream: true });
      let at;
      while ((at = buf.indexOf('\\n\\n')) >= 0) {
        const block = buf.slice(0, at); buf = buf.slice(at + 2);
        let ev = 'message', data = '';
        for (const line of block.split('\\n')) { if (line.startsWith('event:')) ev = line.slice(6).trim(); else if (line.startsWith('data:')) data += line.slice(5).trim(); }
        let d; try { d = JSON.parse(data); } catch (e) { continue; }
        if (ev === 'progress') say('muted', str(d.phase) + ' phase, ' + fixed(d.elapsedMs / 1000, 1) + ' s' + (d.phase === 'throughput' ? ': ' + fixed(d.gbps, 2) + ' Gbit/s' : ''));
        else if (ev === 'result') { say('ok', 'done'); if (bench.run === ctl) benchShow(d); done = true; }
        else if (ev === 'error') { say('bad', str(d.code) + ': ' + str(d.message)); done = true; }
      }
    }
    if (!done) say('bad', 'the bench stream ended without a result');
  } catch (e) {
    say('bad', ctl.signal.aborted ? 'bench stopped; its flows were closed' : 'bench failed: ' + str(e && e.message));
  } finally {
    stop.remove();
    if (bench.run === ctl) { bench.run = null; benchBusy(false); }
  }
}
`;
