import { timingSafeEqual } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { registerHealthRoutes } from '../health/health-routes.js';
import type { Readiness } from '../health/redis-readiness.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { ProducerError } from '../producer/producer-errors.js';
import type { Producer } from '../producer/producer.js';
import { parseJsonBody } from './json-body.js';
import { registerApiDocs } from './api-docs.js';
import { API_ROUTES, type ApiRoute } from './api-routes.js';
import { buildOpenApiDocument } from './openapi-document.js';
import { parseAccountRemovalQuery, parseDeadLetterQuery, parseRedriveRequest, parseSweepQuery } from './request-schemas.js';
import type { AccountAdmin } from '../accounts/account-admin.js';
import { FULL_ACCESS, managesEverything, type Access, type Scope } from '../auth/access.js';
import type { ApiKeys } from '../auth/api-keys.js';
import { ForbiddenError, RedisOutOfMemoryError, RedisUnavailableError } from '../producer/producer-errors.js';
import { certainlyNotRun, isConnectionLost, isOutOfMemory } from '../redis/redis-errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who the request acts as (set by the /v1 authentication hook). */
    access: Access;
  }
}

export interface AppOptions {
  producer: Producer;
  apiToken: string;
  logger: Logger;
  /** Served at /metrics when given. */
  metrics?: Metrics;
  /** What /readyz checks; the producer's Redis by default (the all-in-one process adds its workers). */
  readiness?: () => Promise<Readiness>;
  /** Longest a client may take to send a whole request; then it gets a 408 and its connection is closed. */
  requestTimeoutMs?: number;
  /** API keys besides the admin token (absent: the token only). */
  apiKeys?: ApiKeys;
  /** Managed accounts (absent: the accounts routes only list, pause and resume). */
  admin?: AccountAdmin;
}

/** What each scope lets a key do, for the 403's message. */
const SCOPE_NEEDS: Record<Scope, string> = { close: 'close conversations and act on dead letters', list: 'list conversations', read: 'read batches, jobs, dead letters and accounts', admin: 'administer accounts' };

/** A route's guard: the request's access must hold `scope` (and, with `everything`, cover every account). */
function requires(scope: Scope, { everything = false } = {}) {
  return async (request: { access: Access }) => {
    const { access } = request;
    if (everything && !managesEverything(access)) throw new ForbiddenError('this needs the admin token or an API key with the admin scope over every account ("accounts": "*")');
    if (!access.has(scope)) throw new ForbiddenError(`this API key lacks the "${scope}" scope (needed to ${SCOPE_NEEDS[scope]})`);
  };
}

/** A Redis error as the refusal it means to a client; undefined for any other error. */
function asRedisRefusal(error: unknown, method: string): ProducerError | undefined {
  if (error instanceof ProducerError) return undefined;
  if (isOutOfMemory(error)) return new RedisOutOfMemoryError();
  if (isConnectionLost(error)) return new RedisUnavailableError({ uncertain: method !== 'GET' && !certainlyNotRun(error) });
  return undefined;
}

export const REQUEST_TIMEOUT_MS = 30_000;

/** Every route under it needs a bearer token; nothing else does. */
const V1_PREFIX = '/v1';

/** The largest valid close request (10,000 Chatwoot public refs with 255-character identifiers) is about 6 MB. */
export const BODY_LIMIT_BYTES = 8 * 1024 * 1024;

function tokenMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer (.+)$/.exec(header ?? '');
  if (!match) return false;
  const given = Buffer.from(match[1]!);
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * The HTTP API of contract section 4. Builds the app and never listens, so
 * tests drive it with `inject` and the process entry points decide the port.
 */
export function createApp(options: AppOptions): FastifyInstance {
  const { producer, apiToken, logger, metrics, readiness = () => producer.readiness(), requestTimeoutMs = REQUEST_TIMEOUT_MS, apiKeys, admin } = options;
  const app: FastifyInstance = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // One line per request would drown the job logs at bulk rates; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    // A client trickling its body holds a socket and a buffer; Node answers 408 and closes it, checking every
    // `connectionsCheckingInterval` (kept well below the timeout). Node 20 reads these when the server is
    // created (set afterwards, as fastify's own option does, they did not apply), hence `http`.
    requestTimeout: requestTimeoutMs,
    http: {
      requestTimeout: requestTimeoutMs,
      headersTimeout: requestTimeoutMs,
      connectionsCheckingInterval: Math.max(100, Math.min(1_000, requestTimeoutMs / 4)),
    },
  });

  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, text, done) => {
    try {
      done(null, parseJsonBody(text as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  app.setErrorHandler((raw: FastifyError, request, reply) => {
    // Redis trouble met outside the producer's own guard (account and API-key administration): the same 503 answers.
    const error = asRedisRefusal(raw, request.method) ?? raw;
    if (error instanceof ProducerError) {
      // A refusal because of Redis is the operator's business too: what Redis answered goes to the log, not to the client.
      if (error.httpStatus >= 500) request.log.warn({ code: error.code, err: error.cause ?? error }, 'request refused: Redis trouble');
      if (error.retryAfterSeconds !== undefined) void reply.header('retry-after', String(error.retryAfterSeconds));
      return reply.code(error.httpStatus).send({ error: error.code, message: error.message, ...error.details() });
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).send({ error: 'payload_too_large', message: `the body is over ${BODY_LIMIT_BYTES} bytes; send at most 10000 refs per request` });
    }
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return reply.code(415).send({ error: 'unsupported_media_type', message: 'send JSON with Content-Type: application/json' });
    }
    if (error.statusCode === 400) {
      return reply.code(400).send({ error: 'malformed_json', message: `the body is not valid JSON: ${error.message}` });
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send({ error: 'internal', message: 'internal error; see the server log' });
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` }));

  registerHealthRoutes(app, { readiness, metrics });
  registerApiDocs(app, buildOpenApiDocument(API_ROUTES));

  // Set by the /v1 hook on every request (a reference type cannot be a shared default).
  app.decorateRequest('access', null as unknown as Access);

  app.register(async (v1) => {
    v1.addHook('onRequest', async (request, reply) => {
      if (tokenMatches(request.headers.authorization, apiToken)) {
        request.access = FULL_ACCESS;
        return;
      }
      const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      const access = bearer && apiKeys ? await apiKeys.authenticate(bearer) : undefined;
      if (access) {
        request.access = access;
        return;
      }
      // Closed after the answer: the body of a request nobody will serve is not read.
      return reply.code(401).header('connection', 'close').send({ error: 'unauthorized', message: 'send Authorization: Bearer <CLOSER_API_TOKEN or an API key>' });
    });

    /** Serves one route of the table: its method, path and guard come from there, as the document's do. */
    const serve = <Params = Record<string, string>, Query = unknown>(route: ApiRoute, handler: (request: FastifyRequest<{ Params: Params; Querystring: Query }>, reply: FastifyReply) => Promise<unknown>) => {
      if (!route.path.startsWith(`${V1_PREFIX}/`)) throw new Error(`${route.path} is not a ${V1_PREFIX} route`);
      return v1.route<{ Params: Params; Querystring: Query }>({
        method: route.method,
        url: route.path.slice(V1_PREFIX.length),
        ...(route.scope ? { preHandler: requires(route.scope, { everything: route.everyAccount === true }) } : {}),
        handler,
      });
    };
    const routes = API_ROUTES;

    serve(routes.closeConversations, async (request, reply) => reply.code(202).send(await producer.close(request.body, request.access)));
    serve(routes.listConversations, async (request, reply) => reply.code(202).send(await producer.list(request.body, request.access)));
    serve<{ jobId: string }>(routes.getJob, async (request) => producer.job(request.params.jobId, request.access));
    serve<{ batchId: string }>(routes.getBatch, async (request) => producer.batch(request.params.batchId, request.access));
    serve<{ batchId: string }>(routes.cancelBatch, async (request) => producer.cancelBatch(request.params.batchId, request.access));

    serve(routes.listDeadLetters, async (request) => producer.deadLetters(parseDeadLetterQuery(request.query), request.access));
    serve(routes.redriveDeadLetters, async (request) => producer.redrive(parseRedriveRequest(request.body), request.access));
    serve<{ id: string }>(routes.deleteDeadLetter, async (request, reply) => {
      await producer.deleteDeadLetter(request.params.id, request.access);
      return reply.code(204).send();
    });

    serve(routes.listAccounts, async (request) => producer.accounts(request.access));
    serve<{ id: string }>(routes.pauseAccount, async (request) => producer.pauseAccount(request.params.id, request.access));
    serve<{ id: string }>(routes.resumeAccount, async (request) => producer.resumeAccount(request.params.id, request.access));
    serve<{ id: string }>(routes.sweepAccount, async (request, reply) => reply.code(202).send(await producer.sweepNow(request.params.id, request.access, parseSweepQuery(request.query))));
    serve<{ id: string }>(routes.getAccount, async (request) => (admin ? admin.show(request.params.id, request.access) : producer.account(request.params.id, request.access)));
    if (admin) {
      serve(routes.createAccount, async (request, reply) => reply.code(201).send(await admin.create(request.body)));
      serve<{ id: string }>(routes.updateAccount, async (request) => admin.update(request.params.id, request.body, request.access));
      serve<{ id: string }>(routes.removeAccount, async (request, reply) => {
        const { purge } = parseAccountRemovalQuery(request.query);
        const removed = await admin.remove(request.params.id, { purge }, request.access);
        // 204 carries no body: what a purge let go is told in headers.
        return reply.code(204).header('closer-purged-jobs', String(removed.jobs)).header('closer-purged-dead-letters', String(removed.deadLetters)).send();
      });
    }

    if (apiKeys) {
      serve(routes.createApiKey, async (request, reply) => reply.code(201).send(await apiKeys.create(request.body)));
      serve(routes.listApiKeys, async () => apiKeys.list());
      serve<{ id: string }>(routes.revokeApiKey, async (request, reply) => {
        await apiKeys.revoke(request.params.id);
        return reply.code(204).send();
      });
    }
  }, { prefix: V1_PREFIX });

  return app;
}
