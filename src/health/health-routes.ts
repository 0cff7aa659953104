import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics/metrics.js';
import type { Readiness } from './redis-readiness.js';

export interface HealthOptions {
  readiness: () => Promise<Readiness>;
  metrics?: Metrics;
}

/**
 * /healthz (the process is alive), /readyz (it can do its work, with the
 * reason when not) and /metrics (Prometheus text). No auth: orchestrators and
 * Prometheus call them, and they carry no secrets.
 */
export function registerHealthRoutes(app: FastifyInstance, { readiness, metrics }: HealthOptions): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const result = await readiness();
    return reply.code(result.ready ? 200 : 503).send(result);
  });
  if (metrics) {
    app.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
  }
}
