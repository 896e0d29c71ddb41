// Argument checks shared by commands: refused before any call, as usage errors (exit 2).
import { isSafeName, SAFE_NAME_RULE } from '../state/safe-name.js';
import { UsageError } from './output.js';

/** A resource name argument, refused when it could not name a stored resource (issue 10 #5: no "../", "/" or NUL). */
export function nameArg(v: string): string {
  if (!isSafeName(v)) throw new UsageError(`${JSON.stringify(String(v).slice(0, 80))} is not a resource name: ${SAFE_NAME_RULE}`);
  return v;
}
