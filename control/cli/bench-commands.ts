// `svcnet bench --to SITE` (issue 14): runs RunBenchmark on the site in --dir, shows a progress line
// on a terminal (stderr; nothing when it is not one but a line per phase) and the result as a
// plain table, JSON or YAML. Ctrl-C cancels the run (every flow is closed) and exits 1.
import { Command, Option } from 'commander';
import { parseFormat, UsageError, yaml } from './output.js';
import { withSession } from './session.js';
import { benchRequest, BenchArgError, type BenchOptions } from '../bench/bench-args.js';
import { progressLine, resultTable } from '../bench/bench-render.js';
import type { BenchmarkResult } from '../api/types.js';

/** Adds `bench`. */
export function addBenchCommands(program: Command): void {
  program.command('bench').description('measure the network between this site and another: throughput, latency, new flows per second')
    .addOption(new Option('--dir <dir>', 'site state directory of the site to run from (default: $SVCNET_DIR)'))
    .option('--to <site>', 'the site to measure toward')
    .option('--from <site>', 'the site to run from: the one in --dir (given to check it)')
    .option('--flows <n>', 'parallel flows of the throughput phase (1..64, default 1)')
    .option('--duration <time>', 'throughput phase, e.g. 10s (1s..60s, default 10s)')
    .option('--size <bytes>', 'bytes per latency message (default 64)')
    .option('--bytes <bytes>', 'stop sending after this many bytes (default and cap 100GiB)')
    .option('--ends <ends>', 'socket: real loopback sockets at both ends through listener and connector flows, what applications get (default); engine: engine to engine, the network alone')
    .addOption(new Option('-o, --output <format>', 'json or yaml instead of a table'))
    .action(async (o: BenchOptions & { dir?: string; output?: string }) => {
      const format = parseFormat(o.output);
      let req;
      try { req = benchRequest(o); } catch (err) { if (err instanceof BenchArgError) throw new UsageError(err.message); throw err; }
      await withSession(o, async (s) => {
        const tty = process.stderr.isTTY === true;
        let phase = '';
        let cancelled = false;
        const result = await new Promise<BenchmarkResult>((resolve, reject) => {
          let got: BenchmarkResult | undefined;
          const call = s.client.runBenchmark(req, (e) => {
            if (e.result) { got = e.result; return; }
            const p = e.progress;
            if (!p) return;
            if (tty) process.stderr.write(`\r\x1b[K${progressLine(p)}`);
            else if (p.phase !== phase) process.stderr.write(`${progressLine(p)}\n`);
            phase = p.phase;
          }, (err) => {
            process.off('SIGINT', onInt);
            if (tty) process.stderr.write('\r\x1b[K');
            if (err && cancelled) reject(new Error('bench cancelled; the site closed its flows'));
            else if (err) reject(err); else if (got) resolve(got); else reject(new Error('the site ended the bench without a result'));
          });
          // Ctrl-C: the site closes every flow of the run; its end (cancelled) ends the command.
          const onInt = () => { cancelled = true; call.cancel(); };
          process.once('SIGINT', onInt);
        });
        if (format === 'table') process.stdout.write(resultTable(result));
        else if (format === 'json') process.stdout.write(JSON.stringify(result, null, 2) + '\n');
        else process.stdout.write(yaml().stringify(result));
      });
    });
}
