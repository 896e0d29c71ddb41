// A change made while a site is starting is not lost: the site reads its stored resources early in
// its start, so a CLI that wrote to the directory after that read (no status yet) would see its change
// wait for the next start. `site run` marks the start (run/starting.json) and the CLI waits for the
// API. Each round starts the site, creates a listener after a different delay, and checks that the
// running site carries it; a second `site run` while one is starting is refused.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { svcnet, svcnetOk, runSite, kill, stopAll, tempDir, waitFor, runtimeStatus } from '../helpers/cli.js';
import { freePorts } from '../helpers/ports.js';

const root = tempDir();
const S = path.join(root, 'solo');
let ports: number[];

test.before(async () => {
  ports = await freePorts(4);
  await svcnetOk(['site', 'create', 'solo', '--dir', S]);
});

test.after(async () => {
  await stopAll();
  fs.rmSync(root, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a listener created at any moment of the start is carried by the running site', async () => {
  for (const [i, delay] of [0, 250, 500, 800].entries()) {
    const site = runSite(S);
    await sleep(delay);
    const out = await svcnetOk(['listener', 'create', `l${i}`, String(ports[i]), '--host', '127.0.0.1', '--dir', S]);
    assert.match(out, new RegExp(`l${i}`));
    await waitFor(`listener l${i} on the running site (created ${delay} ms after the start)`, () => runtimeStatus(S)?.listeners.some((l) => l.name === `l${i}`), 20_000);
    assert.not.ok(fs.existsSync(path.join(S, 'run', 'starting.json')), 'the start marker is gone once the site runs');
    await kill(site);
  }
});

test('a second site run while one is starting is refused', async () => {
  const site = runSite(S);
  await waitFor('the start marked', () => fs.existsSync(path.join(S, 'run', 'starting.json')) || runtimeStatus(S), 20_000);
  const again = await svcnet(['site', 'run', '--dir', S]);
  assert.is(again.code, 1);
  assert.match(again.stderr, /is already (starting|running) \(pid \d+\)/);
  await kill(site);
});

test.run();
