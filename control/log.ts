// The process logger: pino, one JSON event per line on stderr (stdout stays for CLI output).
import pino from 'pino';

export function createLogger(name: string): pino.Logger {
  return pino({ level: process.env.SVCNET_LOG_LEVEL ?? 'info', base: { pid: process.pid, site: name } }, pino.destination(2));
}
