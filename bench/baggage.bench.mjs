// Baggage extract on the worst header the codec reads (8 KB, 64 members,
// percent-escapes and properties in every foreign member, the four mellea
// fields first) against OpenTelemetry's W3CBaggagePropagator.extract on the
// same header: `node bench/baggage.bench.mjs`. mitata measures each case; the
// cases run in interleaved rounds and the median of the rounds' medians is
// what is compared, so load on the machine hits both alike.
import { ROOT_CONTEXT, defaultTextMapGetter } from '@opentelemetry/api';
import { W3CBaggagePropagator } from '@opentelemetry/core';
import { do_not_optimize, measure } from 'mitata';
import { extractHeaders } from 'mellea-context/http';
import { ContextPropagator } from 'mellea-context/otel';
import { line, report } from './harness.mjs';

const ROUNDS = 15;

/** 64 members, as close to the 8192-byte read limit as whole members allow. */
function worstHeader() {
  const members = [
    'mellea.session_id=caf%C3%A9%20session%2C42',
    'mellea.request_id=0123456789abcdef0123456789abcdef',
    'mellea.model_id=granite%2F3.3',
    'mellea.sampling_iteration=3',
  ];
  for (let i = 0; members.length < 64; i++) members.push(`key${i}=${'%41b'.repeat(30)};prop=1`);
  let header = members.join(',');
  // Pad the last member to just under 8192 bytes.
  header += 'x'.repeat(8192 - 1 - header.length);
  return header;
}

const header = worstHeader();
const carrier = { baggage: header };
const theirs = new W3CBaggagePropagator();
const ours = new ContextPropagator();
if (Buffer.byteLength(header) >= 8192 || header.split(',').length !== 64) throw new Error('bench header is not the 8 KB, 64-member case');
if (Object.keys(extractHeaders(carrier)).length !== 4) throw new Error('bench header lost its fields');

const cases = {
  'W3CBaggagePropagator.extract': () => do_not_optimize(theirs.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter)),
  'ContextPropagator.extract': () => do_not_optimize(ours.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter)),
  'extractHeaders': () => do_not_optimize(extractHeaders(carrier)),
};

const samples = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, fn] of Object.entries(cases)) {
    const stats = await measure(fn, { min_cpu_time: 30e6 });
    samples[name].push(stats.p50);
  }
}
const median = (list) => list.slice().sort((a, b) => a - b)[Math.floor(list.length / 2)];
const result = Object.fromEntries(Object.entries(samples).map(([name, list]) => [name, median(list)]));

console.log(`# baggage: extract of an ${Buffer.byteLength(header)}-byte, 64-member header (median of ${ROUNDS} rounds)`);
const otel = result['W3CBaggagePropagator.extract'];
line('W3CBaggagePropagator.extract', otel);
let ok = report('ContextPropagator.extract vs W3CBaggagePropagator.extract', result['ContextPropagator.extract'], otel, 1);
ok = report('extractHeaders vs W3CBaggagePropagator.extract', result.extractHeaders, otel, 1) && ok;
process.exitCode = ok ? 0 : 1;
