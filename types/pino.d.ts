// mellea-context/pino: the context's fields on every pino line.

import type { Redaction } from './index.js';

export type { Redaction };

export interface PinoOptionsInput {
  /** Redaction of context fields (not of fields the log call passes itself: use pino's `redact`). */
  redact?: Redaction;
  /** Your pino `timestamp` (boolean or function); composed with ours. */
  timestamp?: boolean | (() => string);
  /** Your pino `mixin`; composed with ours. */
  mixin?: (mergeObject: object, level: number, logger: unknown) => object;
  /** Your pino `mixinMergeStrategy`; used for your mixin's result. */
  mixinMergeStrategy?: (mergeObject: object, mixinObject: object) => object;
  /** Your pino `hooks`; `streamWrite` is composed with ours. */
  hooks?: { streamWrite?: (line: string) => string; [hook: string]: unknown };
}

/** What pinoOptions() returns: spread it into pino's options. */
export interface PinoContextOptions {
  timestamp: () => string;
  mixin: (mergeObject: object, level: number, logger: unknown) => object;
  mixinMergeStrategy: (mergeObject: object, mixinObject: object) => object;
  hooks: { streamWrite: (line: string) => string; [hook: string]: unknown };
}

/**
 * The fastest integration: `pino({ ...pinoOptions(), level: 'info' }, dest)`.
 * Pass your own timestamp/mixin/mixinMergeStrategy/hooks through it rather
 * than after the spread, so they are composed with the context's.
 */
export declare function pinoOptions(options?: PinoOptionsInput): PinoContextOptions;

export type PinoMixin = (mergeObject: object, level: number, logger: unknown) => Record<string, string | number | boolean>;

/** `pino({ mixin: pinoMixin })`: the current fields; the log call's own fields and child bindings win. */
export declare const pinoMixin: PinoMixin;

/** A pinoMixin with options: `pino({ mixin: createPinoMixin({ redact: { session_id: 'hash' } }) })`. */
export declare function createPinoMixin(options?: { redact?: Redaction }): PinoMixin;
