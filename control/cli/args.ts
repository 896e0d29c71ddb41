// Argument checks shared by commands: refused before any call, as usage errors (exit 2).
// The rule (README "Exit codes"): a value given on the command line that could never be valid —
// a name, port, host, number or duration — is a usage error, whatever the command.
import { isSafeName, SAFE_NAME_RULE } from '../state/safe-name.js';
import { nameSchema, hostSchema } from '../resources/common.js';
import { UsageError } from './output.js';

const quoted = (v: string) => JSON.stringify(String(v).slice(0, 80));

/** A resource name argument, refused when it could not name a stored resource (issue 10 #5: no "../", "/" or NUL). */
export function nameArg(v: string): string {
  if (!isSafeName(v)) throw new UsageError(`${quoted(v)} is not a resource name: ${SAFE_NAME_RULE}`);
  return v;
}

/** The name of something being created (a site, a resource): a lowercase DNS label (issue 15: exit 2 in every command). */
export function newNameArg(v: string, what = 'name'): string {
  const r = nameSchema.safeParse(v);
  if (!r.success) throw new UsageError(`${what} ${quoted(v)} is not a resource name: ${r.error.issues[0].message}`);
  return v;
}

/** A host name or IP literal given as option `flag` (issue 15). */
export function hostArg(v: string, flag: string): string {
  const r = hostSchema.safeParse(v);
  if (!r.success) throw new UsageError(`${flag} ${quoted(v)} ${r.error.issues[0].message}`);
  return v;
}

/** A whole number option `flag` (commander argParser). */
export function intArg(flag: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v)) throw new UsageError(`${flag} must be a number, not ${quoted(v)}`);
    return Number(v);
  };
}

/** Parses durations like 90s, 15m, 2h, 7d into ms. */
export function parseDuration(v: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(v);
  if (!m) throw new UsageError(`duration "${v}" must look like 30s, 15m, 2h or 7d`);
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
}
