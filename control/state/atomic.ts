// Crash-safe file writes: temp file, fsync, rename, fsync of the directory. A crash at any moment
// leaves the old or the new file, never a torn one.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * Writes `data` to `file` atomically with the given mode (0600 for anything secret). `durable: false`
 * keeps the rename (readers never see a torn file) but skips the fsyncs: for snapshots that are
 * rewritten every moment and worthless after a crash, such as a running site's published status.
 */
export function writeFileAtomic(file: string, data: string | Buffer, mode = 0o644, durable = true): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = fs.openSync(tmp, 'wx', mode);
  try {
    fs.writeFileSync(fd, data);
    if (durable) fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  if (!durable) return;
  const dfd = fs.openSync(dir, 'r');
  try { fs.fsyncSync(dfd); } finally { fs.closeSync(dfd); }
}
