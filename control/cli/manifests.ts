// Reads `-f FILE|DIR|-` arguments into manifests: a file, every .yaml/.yml/.json file of a
// directory (sorted, not recursive), or standard input.
import fs from 'node:fs';
import path from 'node:path';
import type { Manifest } from '../api/types.js';
import { UsageError } from './output.js';

function readStdin(): string {
  return fs.readFileSync(0, 'utf8');
}

/** The manifests named by the -f arguments; a usage error for paths that do not exist. */
export function readManifests(files: string[]): Manifest[] {
  if (files.length === 0) throw new UsageError('give at least one -f FILE, DIR or - (standard input)');
  const out: Manifest[] = [];
  for (const f of files) {
    if (f === '-') { out.push({ source: '-', text: readStdin() }); continue; }
    const st = fs.statSync(f, { throwIfNoEntry: false });
    if (!st) throw new UsageError(`${f}: no such file or directory`);
    if (st.isDirectory()) {
      const names = fs.readdirSync(f).filter((n) => /\.(ya?ml|json)$/.test(n)).sort();
      if (names.length === 0) throw new UsageError(`${f}: no .yaml, .yml or .json files in this directory`);
      for (const n of names) out.push({ source: path.join(f, n), text: fs.readFileSync(path.join(f, n), 'utf8') });
    } else {
      out.push({ source: f, text: fs.readFileSync(f, 'utf8') });
    }
  }
  return out;
}
