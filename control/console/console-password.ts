// The console password of a site whose console is bound beyond loopback: made once, kept 0600 in the
// state directory (pki/console-password), shown to no one but whoever can read that file.
import { randomBytes } from 'node:crypto';
import type { SiteStore } from '../state/site-store.js';

export const CONSOLE_PASSWORD_FILE = 'console-password';

/** The stored password, made (24 random characters) and written atomically the first time. */
export async function consolePassword(store: SiteStore): Promise<string> {
  const stored = store.readPkiFile(CONSOLE_PASSWORD_FILE)?.trim();
  if (stored) return stored;
  const made = randomBytes(18).toString('base64url');
  await store.writePkiFile(CONSOLE_PASSWORD_FILE, `${made}\n`, 0o600);
  return made;
}

/** Where the password lives, for messages. */
export const consolePasswordPath = (store: SiteStore) => `${store.dir}/pki/${CONSOLE_PASSWORD_FILE}`;
