// Runs the ForwardingCore conformance suite against the wasm core (release and debug builds) and
// the TypeScript reference.
import { loadCore, corePath } from '../../dataplane/core/wasm-core.js';
import { TsCore } from '../../dataplane/core/ts-core.js';
import { runCoreConformance } from '../conformance/core.js';

runCoreConformance('wasm (release)', (w) => loadCore(w));
runCoreConformance('wasm (debug)', (w) => loadCore(w, corePath(true)));
runCoreConformance('TypeScript reference', (w) => new TsCore(w));
