// Names that become one path component of the state directory (resources/KIND/NAME.json,
// links/NAME/, pki/NAME), and the check that a path really stays inside the directory (issue 10 #5).
import fs from 'node:fs';
import path from 'node:path';

/**
 * A name safe as one path component: letters, digits, '.', '_' and '-', not starting with '.'
 * (so never '.', '..' or a hidden file), at most 200 characters (with ".json", under the 255-byte
 * file-name limit). Looser than resource names (lowercase DNS labels), so state written by hand
 * with other safe names stays readable and deletable.
 */
export const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,199}$/;
export const SAFE_NAME_RULE = 'must be 1-200 letters, digits, ".", "_" or "-", not starting with "." (no "/", ".." or NUL)';

/** A caller-given name that would leave its folder; the store refuses it before any I/O. */
export class UnsafeNameError extends Error {
  constructor(readonly what: string, readonly value: string) {
    super(`${what} ${JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value)} ${SAFE_NAME_RULE}`);
  }
}

/** True when `name` is a single safe path component. */
export function isSafeName(name: unknown): name is string {
  return typeof name === 'string' && SAFE_NAME.test(name);
}

/** Returns `name`, or throws UnsafeNameError naming `what`. */
export function safeName(what: string, name: unknown): string {
  if (!isSafeName(name)) throw new UnsafeNameError(what, String(name));
  return name;
}

/** The real path of `p`, or of its deepest existing ancestor joined with the rest (p need not exist). */
function realish(p: string): string {
  const abs = path.resolve(p);
  try { return fs.realpathSync(abs); } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'ENOTDIR') throw err;
    const parent = path.dirname(abs);
    return parent === abs ? abs : path.join(realish(parent), path.basename(abs));
  }
}

/**
 * Throws unless `target`, with every symlink on the way resolved, lies inside `root` (and is not
 * `root` itself). Checked after the names, so a symlink planted in the directory cannot lead out.
 */
export function assertInside(root: string, target: string): void {
  const rel = path.relative(realish(root), realish(target));
  if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) throw new Error(`refusing to touch ${target}: it resolves outside the site directory ${root}`);
}
