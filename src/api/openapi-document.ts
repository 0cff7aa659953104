import { z } from 'zod';
import { API_KEY_REQUEST } from '../auth/api-keys.js';
import { CALLBACK_SPEC } from '../callbacks/callback-spec.js';
import { ACCOUNT_SCHEMAS } from '../config/account-schema.js';
import { ANY_PROVIDER_FILTER, LIST_FILTERS, LIST_REQUEST } from '../listing/list-query.js';
import { CLOSE_REQUEST } from '../producer/close-request.js';
import { ANY_PROVIDER_REF, REF_SHAPES, callbellRef, chatwootRef, peachByContact, peachByConversation } from '../refs/ref-schemas.js';
import { ACCOUNT_CREATE_REQUEST, ACCOUNT_PATCHES, ACCOUNT_PATCH_REQUEST } from './account-request-schemas.js';
import type { Answer, ApiRoute } from './api-routes.js';
import * as answers from './api-schemas.js';
import { ERROR_ANSWERS, type ErrorCode } from './api-schemas.js';
import { REDRIVE_REQUEST } from './request-schemas.js';

type Json = Record<string, unknown>;

/** An OpenAPI 3.1 document (its outline; the rest is plain JSON). */
export interface OpenApiDocument extends Json {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  paths: Record<string, Record<string, Json>>;
  components: { schemas: Record<string, Json>; securitySchemes: Record<string, Json> };
}

const DIALECT = 'https://json-schema.org/draft/2020-12/schema';
const schemaRef = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const pascal = (text: string) => text.replace(/(^|[_\s-])([a-z])/g, (_match, _sep, letter: string) => letter.toUpperCase());
const errorSchemaName = (code: ErrorCode) => `${pascal(code)}Error`;

/**
 * The schemas shown by name (components), requests and answers apart: a
 * request's JSON Schema is of what may be sent (io: input: defaults make a
 * field optional, a transform shows what it takes), an answer's of what is
 * sent back. A schema of both (the ref shapes) must come out the same.
 */
function requestNames(): [string, z.ZodType][] {
  return [
    ['CloseRequest', CLOSE_REQUEST],
    ['CallbackSpec', CALLBACK_SPEC],
    ['PeachConversationRef', peachByConversation],
    ['PeachContactRef', peachByContact],
    ['CallbellRef', callbellRef],
    ['ChatwootRef', chatwootRef],
    ['ListRequest', LIST_REQUEST],
    ['PeachListFilter', LIST_FILTERS.peach],
    ['CallbellListFilter', LIST_FILTERS.callbell],
    ['ChatwootListFilter', LIST_FILTERS.chatwoot],
    ['RedriveRequest', REDRIVE_REQUEST],
    ['AccountCreateRequest', ACCOUNT_CREATE_REQUEST],
    ['PeachAccount', ACCOUNT_SCHEMAS.peach],
    ['CallbellAccount', ACCOUNT_SCHEMAS.callbell],
    ['ChatwootAccount', ACCOUNT_SCHEMAS.chatwoot],
    ['AccountPatchRequest', ACCOUNT_PATCH_REQUEST],
    ['PeachAccountPatch', ACCOUNT_PATCHES.peach],
    ['CallbellAccountPatch', ACCOUNT_PATCHES.callbell],
    ['ChatwootAccountPatch', ACCOUNT_PATCHES.chatwoot],
    ['ApiKeyRequest', API_KEY_REQUEST],
  ];
}

function answerNames(): [string, z.ZodType][] {
  return [
    ['CloseAccepted', answers.CLOSE_ACCEPTED],
    ['JobAccepted', answers.JOB_ACCEPTED],
    ['BatchReport', answers.BATCH_REPORT],
    ['CallbackState', answers.CALLBACK_STATE],
    ['ConversationRef', answers.CONVERSATION_REF],
    ['PeachConversationRef', peachByConversation],
    ['PeachContactRef', peachByContact],
    ['CallbellRef', callbellRef],
    ['ChatwootRef', chatwootRef],
    ['Conversation', answers.CONVERSATION],
    ['ListResult', answers.LIST_RESULT],
    ['SweepResult', answers.SWEEP_RESULT],
    ['CloseResult', answers.CLOSE_RESULT],
    ['JobStatus', answers.JOB_STATUS],
    ['DeadLetter', answers.DEAD_LETTER],
    ['DeadLetterPage', answers.DEAD_LETTER_PAGE],
    ['Redriven', answers.REDRIVEN],
    ['AccountStatus', answers.ACCOUNT_STATUS],
    ['AccountStatusList', answers.ACCOUNT_STATUS_LIST],
    ['AccountView', answers.ACCOUNT_VIEW],
    ['ApiKey', answers.API_KEY],
    ['ApiKeyList', answers.API_KEY_LIST],
    ['ApiKeyCreated', answers.API_KEY_CREATED],
    ['Liveness', answers.LIVENESS],
    ['Readiness', answers.READINESS],
    ['OpenApiOutline', answers.OPENAPI_OUTLINE],
    ...Object.entries(ERROR_ANSWERS).map(([code, schema]): [string, z.ZodType] => [errorSchemaName(code as ErrorCode), schema]),
  ];
}

/**
 * Values a request takes as anything at first, checked later against the
 * account's provider (refs, list filters): shown as any of the shapes they
 * can take.
 */
function standIns(): Map<unknown, readonly z.ZodType[]> {
  return new Map<unknown, readonly z.ZodType[]>([
    [ANY_PROVIDER_REF, REF_SHAPES],
    [ANY_PROVIDER_FILTER, Object.values(LIST_FILTERS)],
  ]);
}

/** JSON Schemas of every named schema, with `$ref`s between them; unnamed ones used by a route are named after it. */
function componentSchemas(named: [string, z.ZodType][], unnamed: Map<z.ZodType, string>, io: 'input' | 'output'): { schemas: Record<string, Json>; nameOf: Map<z.ZodType, string> } {
  const registry = z.registry<{ id: string }>();
  const nameOf = new Map<z.ZodType, string>();
  for (const [name, schema] of [...named, ...[...unnamed].map(([schema, name]): [string, z.ZodType] => [name, schema])]) {
    if (nameOf.has(schema)) continue;
    registry.add(schema, { id: name });
    nameOf.set(schema, name);
  }
  const replacements = standIns();
  const { schemas } = z.toJSONSchema(registry, {
    io,
    // A transform cannot be shown as what it makes: the answer schemas have none, and requests show what a transform takes.
    unrepresentable: 'any',
    uri: (id) => schemaRef(id).$ref,
    override: ({ zodSchema, jsonSchema }) => {
      const shapes = replacements.get(zodSchema);
      if (!shapes) return;
      for (const key of Object.keys(jsonSchema)) delete (jsonSchema as Json)[key];
      jsonSchema.anyOf = shapes.map((shape) => {
        const name = nameOf.get(shape);
        if (!name) throw new Error('a shape a request value may take has no name in the document');
        return schemaRef(name);
      });
    },
  });
  // Each is a part of the document, not a document of its own.
  const cleaned = Object.fromEntries(Object.entries(schemas).map(([name, { $schema: _dialect, $id: _id, ...schema }]) => [name, schema as Json]));
  return { schemas: cleaned, nameOf };
}

function mergeAnswers(own: Answer | undefined, shared: Answer): Answer {
  if (!own) return shared;
  if (own.body) throw new Error(`an answer with a body cannot also be an error answer (${own.description})`);
  return { ...own, errors: [...new Set([...(own.errors ?? []), ...(shared.errors ?? [])])] };
}

/** The answers every route of a kind has, besides its own. */
function sharedAnswers(route: ApiRoute): Record<number, Answer> {
  const shared: Record<number, Answer> = { 500: { description: 'Unexpected error (see the server log)', errors: ['internal'] } };
  if (route.scope) {
    shared[401] = { description: 'No valid bearer token: the admin token or an API key', errors: ['unauthorized'] };
    shared[403] = { description: 'The API key lacks the scope (or the reach over every account) the route needs', errors: ['forbidden'] };
    shared[503] = { description: 'Redis is unreachable or out of memory: nothing was done, or (said so) it is uncertain; retry after Retry-After', errors: ['redis_unavailable', 'redis_out_of_memory'] };
  }
  if (route.method !== 'GET') {
    // Any body is parsed as JSON before the route sees it (json-body.ts), whether the route needs one or not.
    shared[400] = { description: 'The body is not valid JSON, or holds a key that could change prototypes', errors: ['validation', 'malformed_json'] };
    shared[413] = { description: 'The body is over 8 MiB', errors: ['payload_too_large'] };
    shared[415] = { description: 'The body is of a content type the API does not read: send application/json', errors: ['unsupported_media_type'] };
  }
  return shared;
}

function response(answer: Answer, status: number, nameOf: Map<z.ZodType, string>): Json {
  const headers: Record<string, Json> = Object.fromEntries(Object.entries(answer.headers ?? {}).map(([name, description]) => [name, { description, schema: { type: 'string' } }]));
  if (status === 503 && answer.errors) headers['retry-after'] = { description: 'Seconds to wait before retrying', schema: { type: 'string' } };
  let content: Json | undefined;
  if (answer.errors) {
    const refs = answer.errors.map((code) => schemaRef(errorSchemaName(code)));
    content = { 'application/json': { schema: refs.length === 1 ? refs[0] : { anyOf: refs } } };
  } else if (answer.body) {
    content = { 'application/json': { schema: schemaRef(nameOf.get(answer.body)!) } };
  } else if (answer.contentType) {
    content = { [answer.contentType]: { schema: { type: 'string' } } };
  }
  return { description: answer.description, ...(Object.keys(headers).length > 0 ? { headers } : {}), ...(content ? { content } : {}) };
}

function accessNote(route: ApiRoute): string | undefined {
  if (!route.scope) return 'No authentication.';
  if (route.everyAccount) return `The admin token, or an API key with the "${route.scope}" scope over every account ("accounts": "*").`;
  return `The admin token, or an API key with the "${route.scope}" scope (acting on its own accounts only).`;
}

/** `/v1/batches/:batchId` → `/v1/batches/{batchId}`. */
const openApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

function parameters(route: ApiRoute): Json[] {
  const inPath = [...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    ...(route.params?.[name!] ? { description: route.params[name!] } : {}),
    schema: { type: 'string' },
  }));
  if (!route.query) return inPath;
  const { properties = {}, required = [] } = z.toJSONSchema(route.query.schema, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, Json>; required?: string[] };
  const inQuery = Object.entries(properties).map(([name, schema]) => ({
    name,
    in: 'query',
    required: required.includes(name),
    ...(route.query?.descriptions[name] ? { description: route.query.descriptions[name] } : {}),
    schema,
  }));
  return [...inPath, ...inQuery];
}

/**
 * The OpenAPI 3.1 document of the HTTP API, made from the route table and
 * the very zod schemas that validate requests (zod's own JSON Schema output,
 * draft 2020-12 as OpenAPI 3.1 uses): never written by hand.
 */
export function buildOpenApiDocument(routes: Record<string, ApiRoute>): OpenApiDocument {
  const operations = Object.entries(routes);
  const unnamedRequests = new Map<z.ZodType, string>();
  const unnamedAnswers = new Map<z.ZodType, string>();
  for (const [operationId, route] of operations) {
    if (route.body) unnamedRequests.set(route.body, `${pascal(operationId)}Request`);
    for (const [status, answer] of Object.entries(route.answers)) if (answer.body) unnamedAnswers.set(answer.body, `${pascal(operationId)}Answer${status}`);
  }
  const requests = componentSchemas(requestNames(), unnamedRequests, 'input');
  const answered = componentSchemas(answerNames(), unnamedAnswers, 'output');
  for (const [name, schema] of Object.entries(requests.schemas)) {
    const other = answered.schemas[name];
    if (other && JSON.stringify(other) !== JSON.stringify(schema)) throw new Error(`schema ${name} differs as a request and as an answer: name them apart`);
  }

  const paths: OpenApiDocument['paths'] = {};
  for (const [operationId, route] of operations) {
    const shared = sharedAnswers(route);
    const statuses = [...new Set([...Object.keys(route.answers), ...Object.keys(shared)].map(Number))].sort((a, b) => a - b);
    const description = [route.description, accessNote(route)].filter(Boolean).join('\n\n');
    const params = parameters(route);
    (paths[openApiPath(route.path)] ??= {})[route.method.toLowerCase()] = {
      operationId,
      summary: route.summary,
      description,
      tags: [route.tag],
      security: route.scope ? [{ bearer: [] }] : [],
      ...(params.length > 0 ? { parameters: params } : {}),
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: schemaRef(requests.nameOf.get(route.body)!) } } } } : {}),
      responses: Object.fromEntries(
        statuses.map((status) => {
          const own = (route.answers as Record<number, Answer | undefined>)[status];
          const common = shared[status];
          return [String(status), response(common ? mergeAnswers(own, common) : own!, status, answered.nameOf)];
        }),
      ),
    };
  }

  return {
    openapi: '3.1.0',
    jsonSchemaDialect: DIALECT,
    info: {
      title: 'closer',
      // The document describes /v1, whose routes change only compatibly (contract).
      version: '1',
      description:
        'Closes and lists customer conversations on chat providers (Peach, Callbell, Chatwoot) through Redis queues. ' +
        'Every /v1 route needs `Authorization: Bearer <token>`: the admin CLOSER_API_TOKEN, or an API key made through /v1/api-keys, which acts only on its accounts and within its scopes; ' +
        "other accounts' resources answer 404 to it. Errors are JSON `{\"error\": \"<code>\", \"message\": \"...\", ...}`. " +
        'This document is generated from the schemas that validate the requests.',
    },
    tags: [...new Set(operations.map(([, route]) => route.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: { ...answered.schemas, ...requests.schemas },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'CLOSER_API_TOKEN, or an API key (ck_...)' } },
    },
  };
}
