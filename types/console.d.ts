// mellea-context/console: console lines that carry the context, and the JSON
// log line builder (built in the C++ core).

import type { Redaction } from './index.js';

export type { Redaction };

export interface LogRecord {
  message?: unknown;
  /** Default 'INFO'. */
  level?: string;
  /** ISO-8601 string, Date or epoch milliseconds; default now. */
  timestamp?: string | Date | number;
  /** Written as `exception`: an Error's stack, or the text given. */
  error?: unknown;
  exception?: unknown;
  /** Any other fields: written after the context's, and they win over it. */
  [field: string]: unknown;
}

/**
 * One JSON line, no newline: `{"timestamp","level","message",<context
 * fields>,"exception"?,<record fields>}`. Always valid JSON, whatever the
 * texts hold; never throws.
 */
export declare function formatRecord(record: LogRecord): string;

/** formatRecord with options, e.g. `createRecordFormatter({ redact: { session_id: 'hash' } })`. */
export declare function createRecordFormatter(options?: { redact?: Redaction }): (record: LogRecord) => string;

export interface InstallConsoleOptions {
  /** 'json' (default): formatRecord lines. 'text': logfmt, `timestamp=… level=… message=… session_id=…`, values quoted when not a plain word. */
  format?: 'json' | 'text';
  /** Where lines go (one write per line, newline included); default: the wrapped console method. */
  stream?: { write(line: string): unknown };
  redact?: Redaction;
  /** The object whose log/info/warn/error/debug are wrapped; default the global console. */
  console?: Pick<Console, 'log' | 'info' | 'warn' | 'error' | 'debug'>;
}

/** Wraps console.log/info/warn/error/debug; returns uninstall(), which restores the original functions. */
export declare function installConsole(options?: InstallConsoleOptions): () => void;
