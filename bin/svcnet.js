#!/usr/bin/env node
// svcnet CLI entry point (the compiled TypeScript lives in dist/). `site run` never returns here.
// grpc-js sets the TLS server name from an IP target; Node warns about that on every redeem. Keep other warnings.
process.removeAllListeners('warning');
process.on('warning', (w) => { if (w.code !== 'DEP0123') process.stderr.write(`${w.name}: ${w.message}\n`); });
const { main } = await import('../dist/control/cli/main.js');
// A reader that stopped early (`| head`) is no error of ours: stop writing, as with SIGPIPE.
for (const s of [process.stdout, process.stderr]) s.on('error', (err) => { if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0); throw err; });

const code = await main(process.argv.slice(2));
// A pipe takes 64 KiB at once and Node queues the rest: exit only once both streams have drained
// (an empty write's callback runs after every earlier write), or `-o json | jq` gets a cut document (issue 15).
const drained = (s) => new Promise((resolve) => { if (s.destroyed || !s.writable) resolve(); else s.write('', () => resolve()); });
process.exitCode = code;
await Promise.all([drained(process.stdout), drained(process.stderr)]);
process.exit(code);
