// Compiled by tests/http.test.mjs with tsc --noEmit: normal code compiles,
// and each line after a @ts-expect-error must fail to compile.
import express from 'express';
import Fastify from 'fastify';
import { pinoHttp } from 'pino-http';
import http from 'node:http';
import {
  addRequestFields,
  contextMiddleware,
  fastifyContext,
  fastifyOptions,
  getInboundRequestId,
  pinoHttpOptions,
  withRequestContext,
} from 'mellea-context/http';

const app = express();
app.use(contextMiddleware({ fields: (req: express.Request) => ({ session_id: String(req.query.s ?? '') || null }) }));
app.use(contextMiddleware({ trustInbound: { fields: ['session_id', 'modelId'], requestId: 'parent' } }));
app.use(pinoHttp({ ...pinoHttpOptions() }));
app.use(async (req, _res, next) => {
  addRequestFields({ session_id: 'from-auth' });
  addRequestFields('session-as-string', req);
  const parent: string | undefined = getInboundRequestId();
  void parent;
  next();
});

// @ts-expect-error misspelt option
contextMiddleware({ trustinbound: true });
// @ts-expect-error misspelt field
contextMiddleware({ fields: () => ({ sesion_id: 'x' }) });
// @ts-expect-error request_id is the integration's own
addRequestFields({ request_id: 'mine' });
// @ts-expect-error misspelt field
addRequestFields({ sesion_id: 'x' });
// @ts-expect-error not a field name
contextMiddleware({ trustInbound: { fields: ['sesion_id'] } });
// @ts-expect-error not a mode
contextMiddleware({ trustInbound: { requestId: 'keep' } });

http.createServer(withRequestContext((req, res) => res.end(req.url), { echo: false }));
// A server with a request class of its own keeps it in the handler and in fields(req).
class TracedRequest extends http.IncomingMessage { traceTag = 't'; }
http.createServer({ IncomingMessage: TracedRequest }, withRequestContext((req: TracedRequest, res) => res.end(req.traceTag), { fields: (req) => ({ model_id: req.traceTag }) }));
// @ts-expect-error a handler that needs TracedRequest cannot serve a server that hands Node's own
http.createServer(withRequestContext((req: TracedRequest, res: http.ServerResponse) => res.end(req.traceTag)));
// An Express app wrapped whole (README, HTTP), with fields(req) typed as Node's request.
http.createServer(withRequestContext(express(), { fields: (req) => ({ model_id: req.headers['x-model'] as string }) }));

const fastify = Fastify({ logger: true, ...fastifyOptions({ requestIdLogLabel: 'reqId' }) });
Fastify({ ...fastifyOptions({ fastify: Fastify }) });
Fastify({ ...fastifyOptions({ fastify: { fastify: Fastify } }) });
// @ts-expect-error the module, not its name
fastifyOptions({ fastify: 'fastify' });
fastify.register(fastifyContext);
fastify.register(fastifyContext, { fields: (req) => ({ model_id: req.headers['x-model'] as string }) });
// @ts-expect-error misspelt option
fastify.register(fastifyContext, { trustinbound: true });
// @ts-expect-error misspelt field
fastify.register(fastifyContext, { fields: () => ({ sesion_id: 'x' }) });
