// bench/hosts.bench.mjs runs this on Node, Bun and Deno (the Node build of
// the package, as those hosts load it): prints the medians as one JSON line.
import { AsyncLocalStorage } from 'node:async_hooks';
import * as api from '../../dist/esm/index.mjs';
import { measureHost } from './cases.mjs';

console.log(JSON.stringify(measureHost(api, AsyncLocalStorage)));
