#!/usr/bin/env node
// svcnet CLI entry point (the compiled TypeScript lives in dist/). `site run` never returns here.
// grpc-js sets the TLS server name from an IP target; Node warns about that on every redeem. Keep other warnings.
process.removeAllListeners('warning');
process.on('warning', (w) => { if (w.code !== 'DEP0123') process.stderr.write(`${w.name}: ${w.message}\n`); });
const { main } = await import('../dist/control/cli/main.js');

process.exit(await main(process.argv.slice(2)));
