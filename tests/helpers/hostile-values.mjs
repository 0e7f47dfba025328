// Hostile but valid field values (each 1..256 UTF-8 bytes, well-formed, no
// control characters, no U+2028/U+2029, no bidi controls) and hostile texts
// for messages and caller fields, where more is allowed (line separators,
// bidi controls, control characters, lone surrogates).

export const HOSTILE_VALUES = [
  '"',
  '\\',
  '"\\"\\',
  '\\u0000 as text',
  '\\n as text',
  '</script><script>alert(1)</script>',
  '<!-- -->',
  '{"a":1}',
  '[1,2,"x"]',
  'null',
  'true',
  '123',
  '"quoted"',
  "'single'",
  '😀',
  '👩‍👩‍👧‍👦',
  '中文字符',
  '日本語テキスト',
  '한국어',
  'e\u0301 combining',
  'Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇',
  '\uFEFFbom',
  '𝕳𝖊𝖑𝖑𝖔 surrogate pairs',
  'x'.repeat(256),
  'é'.repeat(128),
  '中'.repeat(85),
  '😀'.repeat(64),
  ' leading and trailing ',
  'a=b;c,d',
  '%41%2C%',
  'a+b c',
  '\u00A0nbsp',
  '/path/\\/',
  'ﾟ･✿ヾ╲(｡◕‿◕｡)╱✿･ﾟ',
  '\u200Bzero width',
  '\uFFFD',
  '\u{10FFFF}',
  '\u{E0001}tag',
  'Ω≈ç√∫',
  'mixed "é\\😀</script>"',
];

/** Texts for messages and caller fields: the values above plus what values refuse. */
export const HOSTILE_TEXTS = [
  ...HOSTILE_VALUES,
  'a\u2028b',
  'a\u2029b',
  'user\u202Enimda',
  '\u2066isolate\u2069',
  'line\nbreak',
  'cr\rlf\n',
  'tab\there',
  '\u0000nul',
  '\u001b[31mred',
  '\u007fdel\u0085nel',
  'lone \uD800 high',
  'lone \uDC00 low',
  '',
];

/** Percent-encoded bytes of `text` as UTF-8, every byte escaped (for baggage input). */
export function percentEncodeAll(text) {
  return [...Buffer.from(text, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
}

/**
 * The bytes of the member `"key":<value>` in a JSON object text, checked to
 * parse back to `value`. The value must be a string, number or boolean.
 */
export function memberBytes(line, key, value) {
  const head = `"${key}":`;
  const at = line.indexOf(head);
  if (at === -1) throw new Error(`no ${key} in ${line.slice(0, 300)}`);
  let end = at + head.length;
  if (line[end] === '"') {
    end++;
    while (line[end] !== '"') {
      if (end >= line.length) throw new Error(`unterminated ${key} in ${line.slice(0, 300)}`);
      end += line[end] === '\\' ? 2 : 1;
    }
    end++;
  } else {
    while (end < line.length && !',}'.includes(line[end])) end++;
  }
  const bytes = line.slice(at, end);
  const parsed = JSON.parse(`{${bytes}}`)[key];
  if (value !== undefined && parsed !== value) {
    throw new Error(`${key}: ${JSON.stringify(bytes)} parses to ${JSON.stringify(parsed)}, not ${JSON.stringify(value)}`);
  }
  return bytes;
}

/** A test name for `text`: quoted, invisible and line-breaking characters as \uXXXX, cut at 60. */
export function label(text) {
  const shown = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028-\u202e\u2066-\u2069\ufeff\u200b\ud800-\udfff]/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `"${shown.length > 60 ? `${shown.slice(0, 60)}…` : shown}"`;
}
