// Reads the ratios out of a bench's printed output, for the Node matrix
// table of bench/run.mjs (tests/bench-matrix.test.mjs feeds it each bench's
// line formats).

/**
 * The ratios in a bench's output, as [label, ratio, bound] (bound undefined
 * when the line states none). Formats: bench/harness.mjs's report()/ratio()
 * lines (core, baggage, diagnostics), logging's case table and bound lines,
 * http's paired floor/ours and itself/itself lines, http-instructions' lines, bullmq's carried/plain lines.
 */
export function ratiosOf(output) {
  const found = [];
  for (const text of output.split('\n')) {
    let m;
    if ((m = /^(?:ok  |MISS|    ) ?(\S.*?)\s+[\d.]+ ns\s+([\d.]+)x(?:\s+\(bound ([\d.]+)x)?/.exec(text))) {
      found.push([m[1].trim(), Number(m[2]), m[3] && Number(m[3])]);
    } else if ((m = /^\s+(?:ok  |OVER) (.+?): median ([\d.]+)x/.exec(text))) {
      found.push([`pino bound: ${m[1]}`, Number(m[2]), undefined]);
    } else if ((m = /^ {2}(\S.*?)\s+\d+ ([\d.]+)x\s+\d+ [\d.]+x$/.exec(text))) {
      found.push([`line: ${m[1]}`, Number(m[2]), undefined]);
    } else if ((m = /^\s+(\S.*?)\s+floor\/ours ([\d.]+) (?:ok {2}|MISS) \(target >= ([\d.]+)\)/.exec(text))) {
      found.push([`HTTP floor/ours: ${m[1]}`, Number(m[2]), undefined]);
    } else if ((m = /^\s+(\S.*?)\s+floor\s+\d+\s+ours\s+\d+\s+instructions\/request\s+floor\/ours ([\d.]+)$/.exec(text))) {
      found.push([`HTTP instructions floor/ours: ${m[1]}`, Number(m[2]), undefined]);
    } else if ((m = /^\s+(\S.*?)\s+itself\/itself ([\d.]+) /.exec(text))) {
      found.push([`HTTP itself/itself (harness error): ${m[1]}`, Number(m[2]), undefined]);
    } else if ((m = /^\s+(?:ok {2}|MISS)? ?\s*(carried \/ plain, [^=(]+?)(?: \([^)]*\))? = ([\d.]+)(?: \(bound ([\d.]+)\))?/.exec(text))) {
      found.push([`BullMQ ${m[1].trim()}`, Number(m[2]), m[3] && Number(m[3])]);
    }
  }
  return found;
}
