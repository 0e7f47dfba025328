// mellea-context (Node): the core API.
import { api } from './node/runtime.js';
// Registers configure({ diagnostics }) and reads MELLEA_DIAGNOSTICS.
import './diagnostics.js';

export const {
  withContext,
  enterContext,
  getSessionId,
  getRequestId,
  getModelId,
  getSamplingIteration,
  getField,
  getCurrentContext,
  generateRequestId,
  bind,
  bindEmitter,
  defineField,
  configure,
  storeStats,
  ContextFieldError,
} = api;

/** In Node the core is ready as soon as it is loaded. */
export function ready() {
  return Promise.resolve();
}
