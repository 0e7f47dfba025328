// Span attributes of a scope, following the OpenTelemetry conventions
// (@opentelemetry/semantic-conventions 1.45, incubating; GenAI conventions):
//   mellea.<field>          every set field, on every span (as mellea does)
//   session.id              session_id, on every span (session conventions)
//   gen_ai.conversation.id  session_id, on GenAI spans only
//   gen_ai.request.model    model_id, on GenAI spans that do not set it
// A GenAI span is one whose attributes say it is a model call:
// gen_ai.operation.name, gen_ai.provider.name or (older) gen_ai.system.
import { internals } from '../node/runtime.js';

const { snapshotOf } = internals;
export const ATTR_SESSION_ID = 'session.id';
export const ATTR_CONVERSATION_ID = 'gen_ai.conversation.id';
export const ATTR_REQUEST_MODEL = 'gen_ai.request.model';
/** The caller's request id on a server span whose service minted its own. */
export const ATTR_PARENT_REQUEST_ID = 'mellea.parent_request_id';
const GENAI_MARKERS = ['gen_ai.operation.name', 'gen_ai.provider.name', 'gen_ai.system'];

/** True when the span's attributes mark it as a model call. */
export function isGenAiSpan(span) {
  const attributes = span.attributes;
  if (attributes === undefined || attributes === null) return false;
  for (const key of GENAI_MARKERS) if (attributes[key] !== undefined) return true;
  return false;
}

/** mellea.<field> and session.id of a scope, built once per scope (its fields never change). */
export function spanAttributesOf(scope) {
  const memo = (scope.memo ??= {});
  if (memo.otelAttributes !== undefined) return memo.otelAttributes;
  const snapshot = snapshotOf(scope);
  const attributes = {};
  for (const name of Object.keys(snapshot)) attributes[`mellea.${name}`] = snapshot[name];
  if (snapshot.session_id !== undefined) attributes[ATTR_SESSION_ID] = snapshot.session_id;
  return (memo.otelAttributes = Object.freeze(attributes));
}

/**
 * Sets the GenAI attributes a model-call span gets from the mellea ones it
 * carries, leaving alone any the instrumentation set itself (the model it
 * really called wins over the scope's model_id).
 */
export function addGenAiAttributes(span) {
  const attributes = span.attributes;
  if (attributes === undefined || attributes === null || !isGenAiSpan(span)) return;
  const session = attributes['mellea.session_id'];
  if (session !== undefined && attributes[ATTR_CONVERSATION_ID] === undefined) span.setAttribute(ATTR_CONVERSATION_ID, session);
  const model = attributes['mellea.model_id'];
  if (model !== undefined && attributes[ATTR_REQUEST_MODEL] === undefined) span.setAttribute(ATTR_REQUEST_MODEL, model);
}
