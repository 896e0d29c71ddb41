// Every setup, in the order each round visits them (A B C … A B C …).
import { direct } from './direct.js';
import { svcnetSetup } from './svcnet.js';
import { stunnel } from './stunnel.js';
import { nginx } from './nginx.js';
import { haproxy } from './haproxy.js';
import { nodeTls } from './node-tls.js';
import type { SetupKind } from './setup.js';

/** All setups: the baseline, svcnet (svcnet-2-console: the same with the consoles open, issue 12;
 *  svcnet-2-http1 and -http1-request: behind an http1 listener, observed or balanced per request, in
 *  the HTTP scenarios only, issue 13), then the peers. */
export const SETUPS: SetupKind[] = [direct, svcnetSetup(2), svcnetSetup(2, 1, true), svcnetSetup(2, 1, false, 'http1'), svcnetSetup(2, 1, false, 'http1-request'), svcnetSetup(3), stunnel, nginx, haproxy, nodeTls];

/** Setups run only when named with --setups: svcnet-2 with two data-plane engines per site (issue 11 item 4). */
export const ON_REQUEST: SetupKind[] = [svcnetSetup(2, 2)];
