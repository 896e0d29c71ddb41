// The printed tables: figures per setup (median and min–max), ratios of svcnet to direct and to
// each peer, and peak RSS over the run. Markdown, padded so it also reads well in a terminal.
import type { Summary } from './stats.js';
import { bestPeer, cell, median, type Results } from './results.js';

/** A padded markdown table. */
export function mdTable(header: string[], rows: string[][]): string {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(w[i])).join(' | ')} |`;
  return [line(header), `|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** A number with `digits` decimals and thousands separators; '—' for NaN. */
export function num(v: number, digits: number): string {
  if (!Number.isFinite(v)) return '—';
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function fmtCell(s: Summary, digits: number, failed: boolean): string {
  if (s.n === 0) return failed ? 'failed' : '—';
  if (s.n === 1) return num(s.median, digits);
  return `${num(s.median, digits)} (${num(s.min, digits)}–${num(s.max, digits)})`;
}

const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${(a / b).toFixed(2)}×` : '—');

/** Scenario rows × setup columns. */
export function figuresTable(r: Results): string {
  const header = ['scenario', 'figure', 'unit', ...r.setups.map((s) => s.name)];
  const rows: string[][] = [];
  for (const sc of r.scenarios) {
    for (const m of sc.metrics) {
      rows.push([sc.name, m.label, m.unit, ...r.setups.map((s) => {
        const failed = r.runs.some((x) => x.scenario === sc.name && x.setup === s.name && x.error);
        return fmtCell(cell(r, sc.name, s.name, m.key), m.digits, failed);
      })]);
    }
  }
  return mdTable(header, rows);
}

/** svcnet ÷ direct, ÷ each peer (2 sites), and ÷ direct, ÷ best peer (3 sites), on medians. */
export function ratiosTable(r: Results): string {
  const peers = r.setups.filter((s) => s.role === 'peer').map((s) => s.name);
  const two = r.setups.some((s) => s.name === 'svcnet-2');
  const three = r.setups.some((s) => s.name === 'svcnet-3');
  const header = ['scenario', 'figure', 'better'];
  if (two) header.push('svcnet-2 ÷ direct', ...peers.map((p) => `svcnet-2 ÷ ${p}`));
  if (three) header.push('svcnet-3 ÷ direct', 'svcnet-3 ÷ best peer');
  const rows: string[][] = [];
  for (const sc of r.scenarios) {
    for (const m of sc.metrics) {
      const row = [sc.name, m.label, m.higherIsBetter ? 'higher' : 'lower'];
      const d = median(r, sc.name, 'direct', m.key);
      if (two) {
        const s2 = median(r, sc.name, 'svcnet-2', m.key);
        row.push(ratio(s2, d), ...peers.map((p) => ratio(s2, median(r, sc.name, p, m.key))));
      }
      if (three) {
        const s3 = median(r, sc.name, 'svcnet-3', m.key);
        const best = bestPeer(r, sc.name, m);
        row.push(ratio(s3, d), best ? `${ratio(s3, best.value)} (${best.name})` : '—');
      }
      rows.push(row);
    }
  }
  return mdTable(header, rows);
}

/** Peak RSS (VmHWM) over the whole run per setup. */
export function peakRssTable(r: Results): string {
  const rows = r.setups.filter((s) => s.role !== 'direct').map((s) => {
    const p = r.peakRss[s.name];
    return [s.name, p ? num(p.maxProc, 1) : '—', p ? num(p.total, 1) : '—'];
  });
  return mdTable(['setup', 'largest process (MiB)', 'all its processes (MiB)'], rows);
}
