import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Validator as SpecValidator } from '@seriousme/openapi-schema-validator';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { ChatwootSimulator } from '../../src/simulators/index.js';
import type { RecordedRequest } from '../../src/simulators/index.js';
import { recordedRequest } from '../helpers/recorded-request.js';

/*
 * Checks the Chatwoot simulator against Chatwoot's own OpenAPI 3.1 spec
 * (test/fixtures/chatwoot/swagger.json, an unchanged upstream copy) for the
 * four operations the worker uses: each request the simulator received must
 * satisfy the operation's path/query parameters, security and body, and each
 * answer the schema of its status.
 *
 * Libraries: @seriousme/openapi-schema-validator checks that the document is
 * valid OpenAPI 3.1 and resolves its $refs; Ajv's 2020-12 validator (the JSON
 * Schema dialect of OpenAPI 3.1) validates the data. (openapi-backend was tried
 * first: it cannot be loaded under Jest on Node 20, because it requires an
 * ESM-only dependency, and its own definition check only knows OpenAPI 3.0.)
 *
 * Where the spec and the real server (providers.md §3) disagree:
 * - `conversation.status` in the spec has no `snoozed`; the server does list
 *   snoozed conversations. The listed data here has none.
 * - toggle-status marks `status` required; the server accepts a body without it
 *   and then toggles. Only requests with a status are validated.
 * - The public API's 404 is the spec's bad_request_error; the server's body is
 *   probably Rails' default. The simulator follows the spec; since that schema
 *   requires nothing, the shape is also asserted explicitly.
 * - `meta.assignee` is a non-nullable `user` in the spec; the server omits it
 *   when unassigned, and so does the simulator.
 * - `labels` is a plain array parameter in the spec; Rails clients send
 *   `labels[]=a`, which is read here as the same parameter.
 */

const SPEC_URL = new URL('../fixtures/chatwoot/swagger.json', import.meta.url);
/** Git blob id of upstream's `swagger/swagger.json` at the commit named in test/fixtures/chatwoot/README.md. */
const SPEC_BLOB = '0de86b30984786524b31436991036624ca14e607';
const TOKEN = 'spec-token';
const ACCOUNT = 3;
const OPERATIONS = {
  list: 'conversationList',
  toggle: 'toggle-status-of-a-conversation',
  resolve: 'resolve-conversation',
  listPublic: 'list-all-contact-conversations',
} as const;

// ajv-formats is CommonJS; its exports object carries the plugin as `default`.
const addFormats = addFormatsModule.default;

interface SpecParameter {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header' | 'cookie';
  readonly required?: boolean;
  readonly schema?: object;
}
interface SpecContent {
  readonly content?: Record<string, { readonly schema?: object }>;
}
interface SpecOperation {
  readonly operationId?: string;
  readonly parameters?: readonly SpecParameter[];
  readonly security?: readonly Record<string, readonly string[]>[];
  readonly requestBody?: SpecContent & { readonly required?: boolean };
  readonly responses: Record<string, SpecContent>;
}
interface ResolvedSpec {
  readonly security?: readonly Record<string, readonly string[]>[];
  readonly paths: Record<string, Record<string, unknown>>;
  readonly components: {
    readonly securitySchemes: Record<string, { readonly type: string; readonly in?: string; readonly name?: string }>;
  };
}
interface IndexedOperation {
  readonly method: string;
  readonly pathPattern: RegExp;
  readonly parameters: readonly SpecParameter[];
  readonly operation: SpecOperation;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Validates recorded requests and response bodies against the operations of a resolved OpenAPI 3.1 document. */
class OperationValidator {
  private readonly operations = new Map<string, IndexedOperation>();
  private readonly ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
  // Query and path values arrive as strings, and a lone value for an array parameter as a scalar.
  private readonly parameterAjv = addFormats(new Ajv2020({ strict: false, allErrors: true, coerceTypes: 'array' }));

  constructor(private readonly spec: ResolvedSpec) {
    for (const [template, item] of Object.entries(spec.paths)) {
      const shared = (item.parameters ?? []) as SpecParameter[];
      for (const method of HTTP_METHODS) {
        const operation = item[method] as SpecOperation | undefined;
        if (!operation?.operationId) continue;
        const own = operation.parameters ?? [];
        const inherited = shared.filter(
          (parameter) => !own.some((o) => o.name === parameter.name && o.in === parameter.in),
        );
        this.operations.set(operation.operationId, {
          method: method.toUpperCase(),
          pathPattern: new RegExp(`^${template.replace(/\{([^}]+)\}/g, '(?<$1>[^/]+)')}$`),
          parameters: [...inherited, ...own],
          operation,
        });
      }
    }
  }

  requestErrors(operationId: string, request: RecordedRequest): string[] {
    const { method, pathPattern, parameters, operation } = this.indexed(operationId);
    if (request.method !== method) return [`method ${request.method} is not ${method}`];
    const match = pathPattern.exec(request.path);
    if (!match) return [`path ${request.path} does not match ${operationId}`];
    const errors = [...this.securityErrors(operation, request)];
    const values = { path: { ...match.groups }, query: queryWithoutBrackets(request.query) };
    const schema = {
      type: 'object',
      properties: { path: this.parameterSchema(parameters, 'path'), query: this.parameterSchema(parameters, 'query') },
    };
    errors.push(...validationErrors(this.parameterAjv.compile(schema), values));
    const bodySchema = operation.requestBody?.content?.['application/json']?.schema;
    if (bodySchema && request.body === undefined && operation.requestBody?.required)
      errors.push('request body is required');
    if (bodySchema && request.body !== undefined)
      errors.push(...validationErrors(this.ajv.compile(bodySchema), request.body));
    return errors;
  }

  responseErrors(operationId: string, status: number, body: unknown): string[] {
    const { responses } = this.indexed(operationId).operation;
    const response = responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default;
    const schema = response?.content?.['application/json']?.schema;
    if (!schema) return [`${operationId} documents no JSON body for status ${status}`];
    return validationErrors(this.ajv.compile(schema), body);
  }

  private indexed(operationId: string): IndexedOperation {
    const indexed = this.operations.get(operationId);
    if (!indexed) throw new Error(`No operation ${operationId} in the spec`);
    return indexed;
  }

  private parameterSchema(parameters: readonly SpecParameter[], location: 'path' | 'query'): object {
    const own = parameters.filter((parameter) => parameter.in === location);
    return {
      type: 'object',
      properties: Object.fromEntries(own.map((parameter) => [parameter.name, parameter.schema ?? {}])),
      required: own.filter((parameter) => parameter.required).map((parameter) => parameter.name),
      additionalProperties: false,
    };
  }

  /** One of the security requirements must be met; all of Chatwoot's schemes are header API keys. */
  private securityErrors(operation: SpecOperation, request: RecordedRequest): string[] {
    const requirements = operation.security ?? this.spec.security ?? [];
    if (requirements.length === 0) return [];
    const met = requirements.some((requirement) =>
      Object.keys(requirement).every((name) => {
        const scheme = this.spec.components.securitySchemes[name];
        return (
          scheme?.type === 'apiKey' &&
          scheme.in === 'header' &&
          request.headers[scheme.name?.toLowerCase() ?? ''] !== undefined
        );
      }),
    );
    return met ? [] : ['no security requirement is met'];
  }
}

/** Rails' `labels[]=a&labels[]=b` is the array parameter `labels`. */
function queryWithoutBrackets(query: RecordedRequest['query']): Record<string, string | string[]> {
  return Object.fromEntries(Object.entries(query).map(([name, value]) => [name.replace(/\[\]$/, ''), value]));
}

function validationErrors(validate: ValidateFunction, data: unknown): string[] {
  // Validate a copy: coercion rewrites the data in place.
  return validate(structuredClone(data))
    ? []
    : (validate.errors ?? []).map((error: ErrorObject) => `${error.instancePath || '/'} ${error.message ?? ''}`);
}

let validator: OperationValidator;
let chatwoot: ChatwootSimulator;

it('validates against an unchanged copy of the upstream spec', async () => {
  const bytes = await readFile(SPEC_URL);
  const blob = createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
  expect(blob).toBe(SPEC_BLOB);
});

beforeAll(async () => {
  const document = JSON.parse(await readFile(SPEC_URL, 'utf8')) as Parameters<SpecValidator['validate']>[0];
  const specValidator = new SpecValidator();
  const result = await specValidator.validate(document);
  expect(result.errors).toBeUndefined();
  expect(result.valid).toBe(true);
  expect(specValidator.version).toBe('3.1');
  validator = new OperationValidator(specValidator.resolveRefs() as unknown as ResolvedSpec);
  chatwoot = await ChatwootSimulator.start({ credentials: TOKEN, accountId: ACCOUNT, inboxIdentifier: 'spec-inbox' });
});

afterAll(async () => {
  await chatwoot?.close();
});

async function send(method: string, path: string, json?: unknown) {
  const response = await fetch(chatwoot.url + path, {
    method,
    headers: { api_access_token: TOKEN, ...(json !== undefined && { 'content-type': 'application/json' }) },
    ...(json !== undefined && { body: JSON.stringify(json) }),
  });
  return { status: response.status, body: (await response.json()) as unknown };
}

/** Validates the request the simulator received last, and the answer it gave. */
function expectConforming(operationId: string, answer: { status: number; body: unknown }): void {
  const received = chatwoot.requests.at(-1);
  if (!received) throw new Error('The simulator recorded no request');
  expect(received.status).toBe(answer.status);
  expect(validator.requestErrors(operationId, received)).toEqual([]);
  expect(validator.responseErrors(operationId, answer.status, answer.body)).toEqual([]);
}

describe('Chatwoot simulator against the Chatwoot OpenAPI spec', () => {
  it('the checks reject what the spec forbids, so passing them means something', () => {
    const listPath = `/api/v1/accounts/${ACCOUNT}/conversations`;
    const badList = { data: { meta: { all_count: 'many' }, payload: [{ id: 1, status: 'closed', labels: 'vip' }] } };
    expect(validator.responseErrors(OPERATIONS.list, 200, badList)).toHaveLength(3);
    const badPublic = [{ id: 'one', status: 'open', messages: [{ created_at: 'yesterday' }] }];
    expect(validator.responseErrors(OPERATIONS.listPublic, 200, badPublic)).toHaveLength(2);
    expect(validator.responseErrors(OPERATIONS.toggle, 500, {})).toHaveLength(1);
    const token = { api_access_token: TOKEN };
    expect(validator.requestErrors(OPERATIONS.list, recordedRequest({ path: listPath, headers: token }))).toEqual([]);
    expect(validator.requestErrors(OPERATIONS.list, recordedRequest({ path: listPath }))).toEqual([
      'no security requirement is met',
    ]);
    expect(
      validator.requestErrors(
        OPERATIONS.list,
        recordedRequest({ path: listPath, headers: token, query: { status: 'closed', page: 'x' } }),
      ),
    ).toHaveLength(2);
    expect(
      validator.requestErrors(
        OPERATIONS.list,
        recordedRequest({ path: '/api/v1/accounts/abc/conversations', headers: token }),
      ),
    ).toHaveLength(1);
    const toggle = recordedRequest({ method: 'POST', path: `${listPath}/1/toggle_status`, headers: token });
    expect(validator.requestErrors(OPERATIONS.toggle, { ...toggle, body: { status: 'closed' } })).toHaveLength(1);
    expect(validator.requestErrors(OPERATIONS.toggle, { ...toggle, body: {} })).toHaveLength(1);
  });

  it('conversationList: requests with every documented parameter, and their answers', async () => {
    const colleague = chatwoot.addAgent({ name: 'Rita' });
    const team = chatwoot.addTeam({ name: 'Billing' });
    chatwoot.seed(3, { labels: ['vip'] });
    chatwoot.seed(1, { assignee: 'me' });
    chatwoot.seed(1, { assignee: colleague.id, status: 'pending' });
    chatwoot.seed(1, { status: 'resolved' });
    chatwoot.addConversation({
      contact: { name: 'Ana', phoneNumber: '+15550000001', email: 'ana@example.com', identifier: 'crm-1' },
      teamId: team.id,
      labels: ['billing'],
      messages: [
        { content: 'Where is my refund?', from: 'contact' },
        { content: 'Checking now', from: 'agent' },
      ],
    });
    const queries = [
      '',
      '?status=open&assignee_type=all&page=1',
      '?status=all&assignee_type=me',
      '?status=pending&assignee_type=assigned',
      '?status=resolved&assignee_type=unassigned',
      `?inbox_id=${chatwoot.defaultInbox.id}&team_id=${team.id}`,
      '?labels[]=vip&labels[]=billing',
      '?labels=vip',
      '?q=refund',
      '?page=2',
    ];
    let listed = 0;
    for (const query of queries) {
      const answer = await send('GET', `/api/v1/accounts/${ACCOUNT}/conversations${query}`);
      expect(answer.status).toBe(200);
      expectConforming(OPERATIONS.list, answer);
      listed += (answer.body as { data: { payload: unknown[] } }).data.payload.length;
    }
    expect(listed).toBeGreaterThan(10);
  });

  it('toggle-status-of-a-conversation: explicit statuses, repeated, and snoozed_until', async () => {
    const [conversation] = chatwoot.seed(1);
    const path = `/api/v1/accounts/${ACCOUNT}/conversations/${conversation?.id}/toggle_status`;
    const bodies = [
      { status: 'resolved' },
      { status: 'resolved' },
      { status: 'pending' },
      { status: 'snoozed', snoozed_until: 1_900_000_000 },
      { status: 'open' },
    ];
    for (const body of bodies) {
      const answer = await send('POST', path, body);
      expect(answer.status).toBe(200);
      expectConforming(OPERATIONS.toggle, answer);
    }
  });

  it('resolve-conversation: first and repeated resolution, and the 404', async () => {
    const [conversation] = chatwoot.seed(1);
    chatwoot.sendAgentMessage(conversation?.id ?? 0, { content: 'Anything else?' });
    const base = `/public/api/v1/inboxes/spec-inbox/contacts/${conversation?.sourceId}/conversations`;
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const answer = await send('POST', `${base}/${conversation?.id}/toggle_status`);
      expect(answer).toMatchObject({ status: 200, body: { status: 'resolved' } });
      expectConforming(OPERATIONS.resolve, answer);
    }
    const missing = await send('POST', `${base}/987654/toggle_status`);
    expect(missing.status).toBe(404);
    expectConforming(OPERATIONS.resolve, missing);
    expect(missing.body).toEqual({
      description: expect.any(String),
      errors: [{ field: 'conversation_id', message: expect.any(String), code: 'not_found' }],
    });
  });

  it('list-all-contact-conversations: every conversation of the contact with its messages', async () => {
    const { contact, sourceId } = chatwoot.addContact({ name: 'Budi', phoneNumber: '+15550000002' });
    chatwoot.addConversation({ contact: contact.id, status: 'resolved' });
    const open = chatwoot.addConversation({ contact: contact.id });
    chatwoot.sendAgentMessage(open.id, { content: 'Hello Budi' });
    chatwoot.receiveCustomerMessage(open.id, { content: 'Thanks' });
    const answer = await send('GET', `/public/api/v1/inboxes/spec-inbox/contacts/${sourceId}/conversations`);
    expect(answer.status).toBe(200);
    expect(answer.body).toHaveLength(2);
    expectConforming(OPERATIONS.listPublic, answer);
  });
});
