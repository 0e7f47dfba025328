// bench/hosts.bench.mjs bundles this Worker (the package's workerd build)
// and runs it in workerd: each request answers with one run's medians.
import { AsyncLocalStorage } from 'node:async_hooks';
import * as api from '../../dist/workerd/index.js';
import { measureHost } from './cases.mjs';

export default {
  fetch() {
    return Response.json(measureHost(api, AsyncLocalStorage));
  },
};
