import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import type { Logger } from '../logger.js';
import { registerHealthRoutes, type HealthOptions } from './health-routes.js';

export interface HealthServer {
  url: string;
  close(): Promise<void>;
}

/** The health and metrics endpoints of a worker or scheduler process (CLOSER_HEALTH_PORT). */
export async function startHealthServer(options: HealthOptions & { port: number; logger: Logger; host?: string }): Promise<HealthServer> {
  const app = Fastify({ loggerInstance: options.logger as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }) });
  registerHealthRoutes(app, options);
  await app.listen({ port: options.port, host: options.host ?? '0.0.0.0' });
  const { port } = app.server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
}
