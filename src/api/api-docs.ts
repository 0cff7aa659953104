import swagger, { type StaticDocumentSpec } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import type { OpenApiDocument } from './openapi-document.js';

export const DOCS_PATH = '/docs';

/**
 * The OpenAPI document at /openapi.json and a browsable reference of it at
 * /docs (Swagger UI). Both without authentication, like /healthz: the
 * document holds no secret, and a browser opening /docs sends no token.
 * @fastify/swagger runs in static mode: it serves the document it is given
 * (built from the schemas) and reads nothing off the routes.
 */
export function registerApiDocs(app: FastifyInstance, document: OpenApiDocument): void {
  app.get('/openapi.json', async () => document);
  app.register(swagger, { mode: 'static', specification: { document: document as unknown as StaticDocumentSpec['document'] } });
  app.register(swaggerUi, { routePrefix: DOCS_PATH, uiConfig: { deepLinking: true, docExpansion: 'list' }, theme: { title: 'closer API reference' } });
}
