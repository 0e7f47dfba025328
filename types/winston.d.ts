// mellea-context/winston: a winston format adding the context's fields.

import type { Redaction } from './index.js';

export type { Redaction };

/** Structurally a logform Format: usable in winston.format.combine(). */
export interface ContextFormat {
  options: object;
  transform<T extends object>(info: T, options?: unknown): T;
}

/**
 * `winston.format.combine(winstonFormat(), winston.format.json())`: adds the
 * current fields to each info object; keys the info already has win.
 */
export declare function winstonFormat(options?: { redact?: Redaction }): ContextFormat;
