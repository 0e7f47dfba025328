// Type test, ESM consumer: compiled with tsc --noEmit by tests/types.test.mjs.
// Each @ts-expect-error line must be an error (tsc reports one that is not).
import pino from 'pino';
import winston from 'winston';
import { withContext, enterContext, getCurrentContext, type ContextFields, type CurrentContext } from 'mellea-context';
import { pinoOptions, pinoMixin, createPinoMixin } from 'mellea-context/pino';
import { installConsole, formatRecord, createRecordFormatter } from 'mellea-context/console';
import { winstonFormat } from 'mellea-context/winston';

declare module 'mellea-context' {
  interface DefinedFields {
    tenant_id: string;
    cached: boolean;
  }
}

// Built-ins under both spellings, defined fields through declaration merging.
withContext({ session_id: 's', modelId: 'm', sampling_iteration: 1, tenantId: 'acme', cached: true }, () => 1);
withContext({ request_id: null, requestId: undefined }, () => 1);
const token = enterContext({ tenant_id: 'acme' });
token.reset();
const current: CurrentContext = getCurrentContext();
const tenant: string | undefined = current.tenant_id;
const fields: ContextFields = { session_id: 's' };
void tenant;
void fields;

// @ts-expect-error a misspelt field is an error, as it is at run time
withContext({ sesion_id: 's' }, () => 1);
// @ts-expect-error a misspelt alias too
enterContext({ sesionId: 's' });
// @ts-expect-error the wrong type for a field
withContext({ sampling_iteration: '1' }, () => 1);
// @ts-expect-error a defined field of the wrong type
withContext({ cached: 'yes' }, () => 1);
// @ts-expect-error the current context has no unknown keys
void getCurrentContext().sesion_id;

// pino: the options spread into pino's own, composed options typed.
const log = pino({ ...pinoOptions(), level: 'info' });
pino({ ...pinoOptions({ timestamp: pino.stdTimeFunctions.isoTime, redact: { session_id: 'hash', requestId: 'omit' } }) });
pino({ mixin: pinoMixin, redact: ['session_id'] });
pino({ mixin: createPinoMixin({ redact: { tenant_id: 'omit' } }) });
log.info('typed');
// @ts-expect-error a misspelt pinoOptions option
pinoOptions({ redcat: {} });
// @ts-expect-error redaction of an unknown field
pinoOptions({ redact: { sesion_id: 'hash' } });
// @ts-expect-error an unknown redaction mode
createPinoMixin({ redact: { session_id: 'scramble' } });

// console and formatRecord
const uninstall: () => void = installConsole({ format: 'text', stream: process.stdout });
uninstall();
const line: string = formatRecord({ message: 'm', level: 'INFO', tokens: 3 });
void line;
createRecordFormatter({ redact: { sessionId: 'hash' } });
// @ts-expect-error a misspelt installConsole option
installConsole({ fromat: 'json' });
// @ts-expect-error an unknown format
installConsole({ format: 'xml' });
// @ts-expect-error console must be an object
installConsole({ console: null });

// winston
winston.createLogger({ format: winston.format.combine(winstonFormat(), winston.format.json()) });
// @ts-expect-error a misspelt winstonFormat option
winstonFormat({ redakt: {} });
