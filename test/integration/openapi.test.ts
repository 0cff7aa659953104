import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { Validator as SpecValidator } from '@seriousme/openapi-schema-validator';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import { API_ROUTES, type ApiRoute } from '../../src/api/api-routes.js';
import type { Config } from '../../src/config/types.js';
import { createLogger } from '../../src/logger.js';
import { startApi, type ApiRuntime } from '../../src/runtime/start-api.js';
import { startWorkers, type WorkerRuntime } from '../../src/runtime/start-workers.js';
import { PeachSimulator } from '../../src/simulators/index.js';
import { peachAccount } from '../helpers/accounts.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { testConfig, waitUntil } from '../helpers/test-config.js';

/**
 * The OpenAPI document (issue 21): every route the API serves is in it and
 * every operation it names is served; real answers of every route, errors
 * included, have a status the document gives that operation and a body its
 * schema accepts (Ajv, JSON Schema draft 2020-12, the dialect of OpenAPI
 * 3.1); /docs serves the browsable reference. The API is the real one
 * (startApi: managed accounts, API keys, metrics, dashboard) with workers in
 * this process and the Peach simulator behind them.
 */

// ajv-formats is CommonJS; its exports object carries the plugin as `default`.
const addFormats = addFormatsModule.default;

const PEACH_KEY = 'peach-key-0123456789';
/** Paths the document must describe: the API, health and metrics (not the consoles: /dashboard, /docs). */
const DOCUMENTED_PATHS = /^(\/v1\/|\/healthz$|\/readyz$|\/metrics$|\/openapi\.json$)/;

interface Operation {
  operationId: string;
  method: string;
  path: string;
  security: unknown[];
  responses: Record<string, { content?: Record<string, { schema?: object }> }>;
}
interface Answer {
  status: number;
  contentType: string;
  text: string;
  body: unknown;
}

let server: TestRedis;
let sim: PeachSimulator;
let receiver: Server;
let receiverUrl: string;
let config: Config;
let api: ApiRuntime;
let workers: WorkerRuntime;
let document: { paths: Record<string, Record<string, Omit<Operation, 'method' | 'path'>>> };
const operations = new Map<string, Operation>();
const validators = new Map<string, ValidateFunction>();
/** Every answer checked against the document: operation and status. */
const checked: { operationId: string; status: number }[] = [];

beforeAll(async () => {
  server = await startRedis();
  sim = await PeachSimulator.start({ credentials: PEACH_KEY });
  receiver = createServer((_request, response) => response.writeHead(200).end()).listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
  config = {
    // `fixed` comes from the configuration: the API cannot change or remove it.
    ...testConfig(server.url, [peachAccount(sim.url, PEACH_KEY, 'fixed')]),
    secretKey: randomBytes(32).toString('base64'),
    callbackSecret: `whsec_${randomBytes(32).toString('base64')}`,
    callbackAllowPrivate: true,
  };
  api = await startApi(config, createLogger({ level: 'silent' }), { host: '127.0.0.1' });
  workers = await startWorkers(config, createLogger({ level: 'silent' }));

  // The document as served, checked as OpenAPI 3.1, its $refs resolved for Ajv.
  const served = await fetch(`${api.url}/openapi.json`);
  document = (await served.json()) as typeof document;
  const specValidator = new SpecValidator();
  const verdict = await specValidator.validate(structuredClone(document) as Parameters<SpecValidator['validate']>[0]);
  expect(verdict.errors).toBeUndefined();
  expect(verdict.valid).toBe(true);
  const resolved = specValidator.resolveRefs() as unknown as typeof document;
  for (const [path, item] of Object.entries(resolved.paths)) {
    for (const [method, operation] of Object.entries(item)) operations.set(operation.operationId, { ...operation, method: method.toUpperCase(), path });
  }
});

afterAll(async () => {
  await workers?.close();
  await api?.close();
  await sim?.close();
  receiver?.close();
  await server?.stop();
});

const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));

function validatorOf(operationId: string, status: number, schema: object): ValidateFunction {
  const key = `${operationId} ${status}`;
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile(schema);
    validators.set(key, validate);
  }
  return validate;
}

/** What is wrong with an answer by the document: an empty list when nothing is. */
function nonConformance(operationId: string, answer: Answer): string[] {
  const operation = operations.get(operationId);
  if (!operation) return [`no operation ${operationId} in the document`];
  const documented = operation.responses[String(answer.status)];
  if (!documented) return [`${operationId} answered ${answer.status}, which the document does not give it (${answer.text.slice(0, 200)})`];
  const [mediaType, media] = Object.entries(documented.content ?? {})[0] ?? [];
  if (!mediaType) return answer.text === '' ? [] : [`${operationId} ${answer.status}: a body where the document has none`];
  if (!answer.contentType.startsWith(mediaType)) return [`${operationId} ${answer.status}: content type ${answer.contentType}, documented ${mediaType}`];
  if (mediaType !== 'application/json') return [];
  const validate = validatorOf(operationId, answer.status, media!.schema!);
  if (validate(answer.body)) return [];
  return (validate.errors ?? []).map((error) => `${operationId} ${answer.status}: ${error.instancePath || '(body)'} ${error.message} ${JSON.stringify(error.params)}`);
}

interface Call {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  /** Sent as is, with this content type. */
  raw?: { text: string; contentType: string };
  /** Bearer token; null: none. */
  token?: string | null;
}

/** Calls an operation at the path the document gives it, and checks the answer against the document. */
async function call(operationId: string, { params = {}, query, body, raw, token = config.apiToken! }: Call = {}): Promise<Answer> {
  const operation = operations.get(operationId);
  if (!operation) throw new Error(`no operation ${operationId} in the document`);
  const path = operation.path.replace(/\{(\w+)\}/g, (_match, name: string) => encodeURIComponent(params[name] ?? 'none'));
  const headers: Record<string, string> = token === null ? {} : { authorization: `Bearer ${token}` };
  let payload: string | undefined;
  if (raw) {
    headers['content-type'] = raw.contentType;
    payload = raw.text;
  } else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const response = await fetch(`${api.url}${path}${query ? `?${new URLSearchParams(query)}` : ''}`, { method: operation.method, headers, ...(payload !== undefined ? { body: payload } : {}) });
  const text = await response.text();
  const contentType = response.headers.get('content-type') ?? '';
  const answer = { status: response.status, contentType, text, body: contentType.startsWith('application/json') && text ? JSON.parse(text) : undefined };
  expect(nonConformance(operationId, answer)).toEqual([]);
  checked.push({ operationId, status: answer.status });
  return answer;
}

/** As call(), expecting this status. */
async function expectStatus(status: number, operationId: string, request: Call = {}): Promise<Answer> {
  const answer = await call(operationId, request);
  if (answer.status !== status) throw new Error(`${operationId} answered ${answer.status}, expected ${status}: ${answer.text.slice(0, 300)}`);
  return answer;
}

/**
 * The routes fastify serves, from its route tree (printRoutes without common
 * prefixes: each line a path segment under its parent's, with its methods).
 */
function servedRoutes(app: FastifyInstance): string[] {
  const found: string[] = [];
  const parents: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^((?:│ {3}| {4})*)(?:├── |└── )(\S+)(?: \(([^)]*)\))?$/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    const path = (depth > 0 ? parents[depth - 1]! : '') + match[2]!;
    parents.length = depth;
    parents.push(path);
    for (const method of match[3]?.split(', ') ?? []) found.push(`${method} ${path}`);
  }
  return found;
}

const jobDone = (jobId: string) =>
  waitUntil(async () => {
    const { body } = await call('getJob', { params: { jobId } });
    const state = (body as { state: string }).state;
    return state === 'completed' || state === 'failed' ? (body as { state: string; result?: unknown }) : undefined;
  }, { what: `job ${jobId}` });

const batchDone = (batchId: string) =>
  waitUntil(async () => {
    const { body } = await call('getBatch', { params: { batchId } });
    return (body as { done: boolean }).done ? (body as Record<string, unknown>) : undefined;
  }, { what: `batch ${batchId}` });

describe('the OpenAPI document', () => {
  it('describes every route the API serves, and names no route it does not serve', () => {
    const served = servedRoutes(api.app)
      .filter((route) => !route.startsWith('HEAD '))
      .map((route) => route.replace(/:(\w+)/g, '{$1}'))
      .filter((route) => DOCUMENTED_PATHS.test(route.split(' ')[1]!));
    const documented = [...operations.values()].map((operation) => `${operation.method} ${operation.path}`);
    expect(served.length).toBeGreaterThanOrEqual(20);
    expect([...new Set(served)].sort()).toEqual([...documented].sort());
  });

  it('asks for the bearer token on /v1 only', () => {
    for (const operation of operations.values()) expect([operation.path, operation.security.length > 0]).toEqual([operation.path, operation.path.startsWith('/v1/')]);
  });

  it('is browsable at /docs, without a token', async () => {
    const page = await fetch(`${api.url}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('swagger-ui');
    const initializer = await fetch(`${api.url}/docs/static/swagger-initializer.js`);
    expect(initializer.status).toBe(200);
    expect((await fetch(`${api.url}/docs/json`)).status).toBe(200);
  });

  it('leaves the not-found answer and the /v1 authentication as they were', async () => {
    const missing = await fetch(`${api.url}/nowhere`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'not_found' });
    expect((await fetch(`${api.url}/v1/accounts`)).status).toBe(401);
  });
});

describe('answers of every route validate against the document', () => {
  let readOnlyKey: string;
  let closeOnlyKey: string;
  let batchId: string;
  const deadLetterIds: string[] = [];

  it('health, readiness, metrics and the document itself', async () => {
    await expectStatus(200, 'liveness', { token: null });
    await expectStatus(200, 'readiness', { token: null });
    const metrics = await expectStatus(200, 'metrics', { token: null });
    expect(metrics.text).toContain('# HELP');
    await expectStatus(200, 'openApiDocument', { token: null });
  });

  it('accounts: made, read, changed, refused', async () => {
    const made = await expectStatus(201, 'createAccount', {
      body: { id: 'alpha', provider: 'peach', baseUrl: sim.url, apiKey: PEACH_KEY, rateLimit: '100/s', autoClose: { idleAfter: '1h', dryRun: true } },
    });
    expect(made.body).toMatchObject({ id: 'alpha', source: 'api', credentials: { apiKey: '****6789' } });
    await expectStatus(409, 'createAccount', { body: { id: 'alpha', provider: 'peach', apiKey: PEACH_KEY } });
    const invalid = await expectStatus(400, 'createAccount', { body: { id: 'Not An Id', provider: 'peach', colour: 'red' } });
    expect((invalid.body as { error: string }).error).toBe('validation');

    const listed = await expectStatus(200, 'listAccounts');
    expect((listed.body as { id: string }[]).map((account) => account.id).sort()).toEqual(['alpha', 'fixed']);
    await expectStatus(200, 'getAccount', { params: { id: 'alpha' } });
    await expectStatus(200, 'getAccount', { params: { id: 'fixed' } });
    await expectStatus(404, 'getAccount', { params: { id: 'nobody' } });

    expect((await expectStatus(200, 'updateAccount', { params: { id: 'alpha' }, body: { rateLimit: '200/s' } })).body).toMatchObject({ rateLimit: '200/s' });
    await expectStatus(400, 'updateAccount', { params: { id: 'alpha' }, body: { rateLimit: 'often' } });
    await expectStatus(404, 'updateAccount', { params: { id: 'nobody' }, body: { rateLimit: '5/s' } });
    await expectStatus(409, 'updateAccount', { params: { id: 'fixed' }, body: { rateLimit: '5/s' } });
    await expectStatus(409, 'removeAccount', { params: { id: 'fixed' } });
    await expectStatus(404, 'removeAccount', { params: { id: 'nobody' } });

    await expectStatus(200, 'pauseAccount', { params: { id: 'alpha' } });
    expect((await expectStatus(200, 'resumeAccount', { params: { id: 'alpha' } })).body).toMatchObject({ paused: false });
    await expectStatus(404, 'pauseAccount', { params: { id: 'nobody' } });
    await expectStatus(404, 'resumeAccount', { params: { id: 'nobody' } });
  });

  it('API keys: made, listed, revoked', async () => {
    readOnlyKey = ((await expectStatus(201, 'createApiKey', { body: { name: 'reader', accounts: '*', scopes: ['read'] } })).body as { key: string }).key;
    closeOnlyKey = ((await expectStatus(201, 'createApiKey', { body: { name: 'closer', accounts: ['alpha'], scopes: ['close'] } })).body as { key: string }).key;
    const doomed = (await expectStatus(201, 'createApiKey', { body: { name: 'doomed', accounts: ['alpha', 'fixed'], scopes: ['list', 'read'] } })).body as { id: string };
    await expectStatus(400, 'createApiKey', { body: { name: '', accounts: ['nobody'], scopes: ['fly'], extra: 1 } });
    expect((await expectStatus(200, 'listApiKeys')).body).toHaveLength(3);
    await expectStatus(204, 'revokeApiKey', { params: { id: doomed.id } });
    await expectStatus(404, 'revokeApiKey', { params: { id: doomed.id } });
  });

  it('closes: a batch with a callback, its dead letters, its cancel', async () => {
    const [first, second] = sim.seed(2);
    const accepted = await expectStatus(202, 'closeConversations', {
      body: {
        account: 'alpha',
        conversations: [{ conversationId: first!.id }, { conversationId: second!.id }, { conversationId: 990_001 }, { conversationId: 990_002 }],
        priority: 'high',
        callback: { url: `${receiverUrl}/hook`, events: ['batch.done', 'conversation.closed'] },
      },
    });
    batchId = (accepted.body as { batchId: string }).batchId;
    expect(await batchDone(batchId)).toMatchObject({ completed: 2, deadLettered: 2 });
    await waitUntil(async () => ((await call('getBatch', { params: { batchId } })).body as { callback: { state: string } }).callback.state === 'delivered', {
      what: 'the callback delivered',
    });

    const invalid = await expectStatus(400, 'closeConversations', { body: { account: 'alpha', conversations: [{ conversationId: 1 }, { conversationId: 'two' }], color: 'red' } });
    expect((invalid.body as { issues: unknown[] }).issues).toEqual([
      { index: null, path: 'color', message: 'is not a known field' },
      { index: 1, path: 'conversations[1].conversationId', message: 'must be a number' },
    ]);
    await expectStatus(400, 'closeConversations', { raw: { text: '{"account": ', contentType: 'application/json' } });
    await expectStatus(415, 'closeConversations', { raw: { text: 'account=alpha', contentType: 'application/x-www-form-urlencoded' } });
    await expectStatus(404, 'closeConversations', { body: { account: 'nobody', conversations: [{ conversationId: 1 }] } });
    await expectStatus(409, 'closeConversations', { body: { account: 'fixed', conversations: [{ conversationId: 1 }], batchId } });

    const cancelled = await expectStatus(200, 'cancelBatch', { params: { batchId } });
    expect(cancelled.body).toMatchObject({ batchId, cancelledAt: expect.any(String) });
    await expectStatus(409, 'closeConversations', { body: { account: 'alpha', conversations: [{ conversationId: 1 }], batchId } });
    await expectStatus(404, 'cancelBatch', { params: { batchId: 'no-such-batch' } });
    await expectStatus(404, 'getBatch', { params: { batchId: 'no-such-batch' } });
  });

  it('the body size limit: 413', async () => {
    const answer = await call('closeConversations', { raw: { text: JSON.stringify({ account: 'alpha', conversations: [{ contact: { name: 'x'.repeat(9 * 1024 * 1024), phone_number: '+13309106533' } }] }), contentType: 'application/json' } });
    expect(answer.status).toBe(413);
  });

  it('dead letters: listed, redriven, deleted', async () => {
    const page = await expectStatus(200, 'listDeadLetters', { query: { account: 'alpha', limit: '10', offset: '0' } });
    const { items } = page.body as { items: { id: string }[] };
    expect(items).toHaveLength(2);
    deadLetterIds.push(...items.map((item) => item.id));
    await expectStatus(400, 'listDeadLetters', { query: { limit: 'lots', offset: '-1' } });
    await expectStatus(404, 'listDeadLetters', { query: { account: 'nobody' } });

    expect((await expectStatus(200, 'redriveDeadLetters', { body: { ids: [deadLetterIds[0]] } })).body).toEqual({ redriven: 1 });
    await expectStatus(400, 'redriveDeadLetters', { body: { ids: 'all', extra: true } });
    await expectStatus(404, 'redriveDeadLetters', { body: { account: 'nobody' } });
    await expectStatus(204, 'deleteDeadLetter', { params: { id: deadLetterIds[1]! } });
    await expectStatus(404, 'deleteDeadLetter', { params: { id: deadLetterIds[1]! } });
  });

  it('listing and sweeps: enqueued, then their jobs', async () => {
    const listing = await expectStatus(202, 'listConversations', { body: { account: 'alpha', filter: { status: 'all' }, limit: 50 } });
    const listed = await jobDone((listing.body as { jobId: string }).jobId);
    expect(listed).toMatchObject({ state: 'completed', result: { truncated: false } });
    expect((listed.result as { conversations: unknown[] }).conversations.length).toBeGreaterThan(0);
    await expectStatus(400, 'listConversations', { body: { account: 'alpha', filter: { inboxId: 3, idleFor: 'a day' }, limit: 0 } });
    await expectStatus(404, 'listConversations', { body: { account: 'nobody' } });

    const sweep = await expectStatus(202, 'sweepAccount', { params: { id: 'alpha' } });
    expect(await jobDone((sweep.body as { jobId: string }).jobId)).toMatchObject({ state: 'completed', result: { dryRun: true } });
    await expectStatus(400, 'sweepAccount', { params: { id: 'fixed' } });
    await expectStatus(404, 'sweepAccount', { params: { id: 'nobody' } });
    await expectStatus(404, 'getJob', { params: { jobId: 'alpha.no-such-job' } });
  });

  it('an account with pending work: kept unless purged', async () => {
    await expectStatus(201, 'createAccount', { body: { id: 'gamma', provider: 'peach', baseUrl: sim.url, apiKey: PEACH_KEY } });
    await expectStatus(200, 'pauseAccount', { params: { id: 'gamma' } });
    await expectStatus(202, 'closeConversations', { body: { account: 'gamma', conversations: [{ conversationId: 1 }] } });
    const pending = await expectStatus(409, 'removeAccount', { params: { id: 'gamma' } });
    expect(pending.body).toMatchObject({ error: 'has_pending', pending: { jobs: 1 } });
    await expectStatus(400, 'removeAccount', { params: { id: 'gamma' }, query: { purge: 'maybe' } });
    await expectStatus(204, 'removeAccount', { params: { id: 'gamma' }, query: { purge: 'true' } });
  });

  it('every /v1 route: 401 without a token, 403 to a key without its scope', async () => {
    const guarded = [...operations.values()].filter((operation) => operation.security.length > 0);
    for (const { operationId, method } of guarded) {
      const body = method === 'GET' || method === 'DELETE' ? undefined : {};
      await expectStatus(401, operationId, { token: null, body, params: { id: 'alpha', batchId, jobId: 'alpha.1' } });
      // A key that sees every account, without the scope the route asks for.
      const lacking = (API_ROUTES as Record<string, ApiRoute>)[operationId]!.scope === 'read' ? closeOnlyKey : readOnlyKey;
      await expectStatus(403, operationId, { token: lacking, body, params: { id: 'alpha', batchId, jobId: 'alpha.1' } });
    }
  });

  it('covered every operation with a success and an error', () => {
    for (const operationId of operations.keys()) {
      const statuses = checked.filter((answer) => answer.operationId === operationId).map((answer) => answer.status);
      expect([operationId, statuses.some((status) => status < 300)]).toEqual([operationId, true]);
      if (operations.get(operationId)!.security.length > 0) expect([operationId, statuses.some((status) => status >= 400)]).toEqual([operationId, true]);
    }
    const pairs = new Set(checked.map((answer) => `${answer.operationId} ${answer.status}`));
    console.log(`${checked.length} answers of ${operations.size} operations (${pairs.size} operation-status pairs) validated against the document`);
  });
});
