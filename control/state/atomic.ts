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

/**
 * `writeFileAtomic` with every syscall on libuv's thread pool. A running site writes its state
 * this way: its event loop also carries the links, and an fsync on a busy disk can take seconds,
 * long enough for peers to take the silence for a dead link.
 */
export async function writeFileAtomicAsync(file: string, data: string | Buffer, mode = 0o644, durable = true): Promise<void> {
  const dir = path.dirname(file);
  await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await fs.promises.open(tmp, 'wx', mode);
  try {
    await fh.writeFile(data);
    if (durable) await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await fs.promises.rename(tmp, file);
  } catch (err) {
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
  if (!durable) return;
  const dh = await fs.promises.open(dir, 'r');
  try { await dh.sync(); } finally { await dh.close(); }
}

/** Removes `target` (file or directory) and fsyncs its directory, so the removal survives a crash; false when there was nothing. */
export async function removeDurable(target: string): Promise<boolean> {
  const existed = fs.existsSync(target);
  if (!existed) return false;
  await fs.promises.rm(target, { recursive: true, force: true });
  const dh = await fs.promises.open(path.dirname(target), 'r');
  try { await dh.sync(); } finally { await dh.close(); }
  return true;
}
