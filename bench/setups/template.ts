// Renders the peers' config templates in bench/peers/ ({{NAME}} placeholders) into a run's directory.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** bench/peers/ in the source tree (the compiled code lives in dist/bench/). */
export const PEERS_DIR = fileURLToPath(new URL('../../../bench/peers/', import.meta.url));

/** Writes bench/peers/TEMPLATE with `vars` filled in to `out`; every placeholder must be given. */
export function render(template: string, vars: Record<string, string | number>, out: string): string {
  const text = fs.readFileSync(path.join(PEERS_DIR, template), 'utf8').replace(/\{\{(\w+)\}\}/g, (_, k: string) => {
    if (!(k in vars)) throw new Error(`${template}: no value for {{${k}}}`);
    return String(vars[k]);
  });
  fs.writeFileSync(out, text);
  return out;
}
