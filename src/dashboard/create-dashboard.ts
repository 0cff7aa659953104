import { timingSafeEqual } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AccountQueues } from '../queues/account-queues.js';

export const DASHBOARD_PATH = '/dashboard';

export interface DashboardOptions {
  queues: AccountQueues;
  apiToken: string;
  basicAuth?: { user: string; password: string };
}

const same = (given: string, expected: string) => {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

/**
 * Browsers cannot send a bearer token when opening a page, so besides
 * `Authorization: Bearer <token>` the dashboard takes basic auth: the
 * configured user and password, or any user with the API token as password.
 */
function authorised(header: string | undefined, { apiToken, basicAuth }: DashboardOptions): boolean {
  const [scheme, value = ''] = (header ?? '').split(' ', 2);
  if (scheme === 'Bearer') return same(value, apiToken);
  if (scheme !== 'Basic') return false;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  const user = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  return same(password, apiToken) || (basicAuth !== undefined && same(user, basicAuth.user) && same(password, basicAuth.password));
}

/**
 * bull-board at /dashboard: every account queue, and its dead letters
 * read-only (nothing processes them; redrive through the API or CLI). Never
 * open: a request without credentials gets a 401 and a basic-auth prompt.
 */
export async function registerDashboard(app: FastifyInstance, options: DashboardOptions): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: options.queues.all().flatMap(({ account, queue, deadLetters }) => [
      new BullMQAdapter(queue, { description: `${account.provider} account "${account.id}", ${account.rateLimit.text}` }),
      new BullMQAdapter(deadLetters, { readOnlyMode: true, description: `dead letters of "${account.id}" (redrive with the API or closer dlq redrive)` }),
    ]),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'closer' } },
  });
  await app.register(async (dashboard) => {
    dashboard.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      if (!authorised(request.headers.authorization, options)) {
        return reply
          .code(401)
          .header('www-authenticate', 'Basic realm="closer dashboard", charset="UTF-8"')
          .send({ error: 'unauthorized', message: 'the dashboard needs the API token (Bearer, or as the basic-auth password) or the dashboard basic auth' });
      }
    });
    await dashboard.register(serverAdapter.registerPlugin(), { prefix: DASHBOARD_PATH });
  });
}
