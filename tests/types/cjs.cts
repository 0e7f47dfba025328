// Type test, CommonJS consumer: compiled with tsc --noEmit by tests/types.test.mjs.
import core = require('mellea-context');
import pinoEntry = require('mellea-context/pino');
import consoleEntry = require('mellea-context/console');
import winstonEntry = require('mellea-context/winston');

core.withContext({ sessionId: 's', model_id: 'm' }, () => 1);
const ctx: core.CurrentContext = core.getCurrentContext();
void ctx;
pinoEntry.pinoOptions({ redact: { session_id: 'omit' } });
consoleEntry.installConsole({ format: 'json' })();
winstonEntry.winstonFormat();

// @ts-expect-error a misspelt field is an error for CommonJS consumers too
core.withContext({ sesion_id: 's' }, () => 1);
// @ts-expect-error a misspelt option
pinoEntry.pinoOptions({ timestmap: false });
// @ts-expect-error a misspelt option
consoleEntry.installConsole({ steram: process.stdout });
