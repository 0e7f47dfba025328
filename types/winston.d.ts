// mellea-context/winston: a winston format adding the context's fields.

/** Per field (either spelling): 'hash' = first 16 hex of SHA-256 of the value, 'omit' = left out. */
export type Redaction = Record<string, 'hash' | 'omit'>;

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
