// The code blocks of a Markdown file, for tests/readme.test.mjs: each fenced
// block with its language, line, section, skip marker, and the output its
// `// prints: …` comments promise.
// A block that is a Cloudflare Worker, run in workerd (tests/readme.test.mjs).
const WORKERD = /^<!--\s*readme-test:\s*workerd\s*-->\s*$/;
const FENCE = /^```\s*([A-Za-z0-9_+-]*)\s*$/;
const SKIP = /^<!--\s*readme-test:\s*skip\b(.*?)-->\s*$/;
// `// prints: …`, or `// prints on Node 20-22: …` / `// prints on Node 24+:
// …` for output that differs by Node (a range of majors, or one and later).
const PRINTS = /(?:\/\/|#)\s*prints(?: on Node (\d+)(?:-(\d+)|(\+))?)?:\s?(.*)$/;
const THIS_NODE = Number(process.versions.node.split('.')[0]);

/**
 * Blocks of `markdown`: { lang, line (1-based, of the opening fence),
 * section (nearest heading), code, skip: undefined | { reason } | { error },
 * host: 'node' | 'workerd' }.
 */
export function codeBlocks(markdown) {
  const lines = markdown.split('\n');
  const blocks = [];
  let section = '(top)';
  for (let i = 0; i < lines.length; i++) {
    const heading = /^#{1,6}\s+(.*)$/.exec(lines[i]);
    if (heading) {
      section = heading[1].trim();
      continue;
    }
    const open = FENCE.exec(lines[i]);
    if (!open) continue;
    const start = i;
    const body = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++) body.push(lines[i]);
    let prev = start - 1;
    while (prev >= 0 && lines[prev].trim() === '') prev--;
    let skip;
    const marker = prev >= 0 ? SKIP.exec(lines[prev].trim()) : null;
    if (marker) {
      const reason = /^\s*\((.*)\)\s*$/.exec(marker[1]);
      skip = reason && reason[1].trim() !== '' ? { reason: reason[1].trim() } : { error: `skip marker without a reason: ${lines[prev].trim()}` };
    }
    const host = prev >= 0 && WORKERD.test(lines[prev].trim()) ? 'workerd' : 'node';
    blocks.push({ lang: open[1].toLowerCase(), line: start + 1, section, code: body.join('\n'), skip, host });
  }
  return blocks;
}

/**
 * What a block promises to print on Node `major` (this one by default), in
 * order: the text after each `// prints:` comment, and after each
 * `// prints on Node A-B:` / `// prints on Node A+:` / `// prints on Node A:`
 * whose range holds `major`; `…` stands for any run of characters.
 */
export function expectedOutput(code, major = THIS_NODE) {
  const out = [];
  for (const line of code.split('\n')) {
    const match = PRINTS.exec(line);
    if (!match) continue;
    const [, from, to, andLater, text] = match;
    if (from !== undefined) {
      const low = Number(from);
      const high = andLater !== undefined ? Infinity : Number(to ?? from);
      if (major < low || major > high) continue;
    }
    out.push(text.trim());
  }
  return out;
}

/** A RegExp matching a whole output line against an expectation with `…` wildcards. */
export function expectationPattern(expected) {
  const parts = expected.split('…').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.*?')}$`);
}

/**
 * Checks that every expectation matches a line of `output`, in order;
 * returns the first one that does not (or undefined when all match).
 */
export function firstUnmet(expectations, output) {
  const lines = output.split('\n').map((line) => line.trimEnd());
  let at = 0;
  for (const expected of expectations) {
    const pattern = expectationPattern(expected);
    while (at < lines.length && !pattern.test(lines[at])) at++;
    if (at === lines.length) return expected;
    at++;
  }
  return undefined;
}
