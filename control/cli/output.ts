// Plain, short CLI output: aligned tables for people, JSON or YAML for programs.
import { createRequire } from 'node:module';
import type YAMLModule from 'yaml';

let yamlLoaded: typeof YAMLModule | undefined;
/** The yaml package, loaded on first use: most commands print no YAML, and every run pays its import
 *  (it is CommonJS under Node, so a synchronous require keeps print() synchronous). */
export function yaml(): typeof YAMLModule {
  yamlLoaded ??= createRequire(import.meta.url)('yaml') as typeof YAMLModule;
  return yamlLoaded;
}

export type OutputFormat = 'table' | 'json' | 'yaml';

export function parseFormat(v: string | undefined): OutputFormat {
  if (v === undefined) return 'table';
  if (v === 'json' || v === 'yaml') return v;
  throw new UsageError(`--output must be json or yaml, not "${v}"`);
}

/** Prints `data` as JSON/YAML, or `rows` as a table with `headers`. */
export function print(format: OutputFormat, data: unknown, headers: string[], rows: (string | number | undefined)[][]): void {
  if (format === 'json') { process.stdout.write(JSON.stringify(data, null, 2) + '\n'); return; }
  if (format === 'yaml') { process.stdout.write(yaml().stringify(data)); return; }
  if (rows.length === 0) { process.stdout.write('none\n'); return; }
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === undefined ? '-' : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  for (const r of cells) process.stdout.write(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ') + '\n');
}

/** A mistake in how the command was called: exit code 2. */
export class UsageError extends Error {}
