// Finds a peer's binary, installing its Debian package with apt-get when it is missing (as root).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { SkipSetup } from './setup.js';

/** Runs a command; resolves with its combined output, or rejects with it. */
export function sh(cmd: string, args: string[], timeoutMs = 300_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${(stderr || err.message).trim().split('\n').pop()}`));
      else resolve(stdout + stderr);
    });
  });
}

const has = (path: string) => fs.existsSync(path);
let updated = false;

/** Makes sure `file` exists, installing `packages` from Debian if not; throws SkipSetup when it cannot. */
export async function ensureInstalled(file: string, packages: string[]): Promise<void> {
  if (has(file)) return;
  if (process.getuid?.() !== 0 || !has('/usr/bin/apt-get')) {
    throw new SkipSetup(`${file} is missing and apt-get is not usable here (install ${packages.join(' ')})`);
  }
  process.stdout.write(`bench: ${file} is missing; installing ${packages.join(' ')} with apt-get\n`);
  try {
    if (!updated) { await sh('apt-get', ['update', '-qq']); updated = true; }
    await sh('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages]);
  } catch (err) {
    throw new SkipSetup(`could not install ${packages.join(' ')}: ${(err as Error).message}`);
  }
  if (!has(file)) throw new SkipSetup(`${packages.join(' ')} installed but ${file} is still missing`);
}
