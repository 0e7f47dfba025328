// Type test for mellea-context/otel (run by tests/otel-types.test.mjs with
// tsc --noEmit): normal code compiles, misspelt options and bad values do
// not (each @ts-expect-error must meet an error, or tsc fails).
import { ROOT_CONTEXT } from '@opentelemetry/api';
import {
  ContextPropagator,
  ContextSpanProcessor,
  createInjector,
  dedupeBaggage,
  fieldsFromContext,
  injectHeaders,
  withOtelContext,
  type ContextPropagatorOptions,
} from 'mellea-context/otel';

new ContextSpanProcessor();
new ContextSpanProcessor({ edgeSpans: false });
const options: ContextPropagatorOptions = { destinations: ['api.internal', '*.svc.cluster.local'], redact: { model_id: 'hash' }, redactExternal: { sessionId: 'omit' }, dedupe: true };
const propagator = new ContextPropagator(options);
propagator.close();
const inject = createInjector({ destinations: ['127.0.0.1:8080'] });
const headers: Record<string, string> = inject({}, 'http://127.0.0.1:8080/x');
const h2: Headers = injectHeaders(new Headers(), { url: new URL('https://api.openai.com'), redactExternal: {} });
const session: string | undefined = fieldsFromContext(ROOT_CONTEXT).session_id;
const n: number = withOtelContext(ROOT_CONTEXT, (a: number) => a + 1, 1);
const release: () => void = dedupeBaggage();

// @ts-expect-error misspelt option
new ContextSpanProcessor({ edgespans: true });
// @ts-expect-error wrong type
new ContextSpanProcessor({ edgeSpans: 'yes' });
// @ts-expect-error misspelt option
new ContextPropagator({ destination: ['api.internal'] });
// @ts-expect-error a mode that does not exist
new ContextPropagator({ redact: { session_id: 'encrypt' } });
// @ts-expect-error destinations is a list
createInjector({ destinations: 'api.internal' });
// @ts-expect-error url belongs to injectHeaders calls, not to an injector's policy
createInjector({ url: 'http://x' });
// @ts-expect-error misspelt option
injectHeaders({}, { urll: 'http://x' });
// @ts-expect-error a url is a string or a URL
inject({}, 42);

export const out = [headers, h2, session, n, release];
