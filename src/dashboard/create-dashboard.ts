import { timingSafeEqual } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { NotableAccounts } from '../accounts/notable-accounts.js';
import type { AccountQueue, AccountQueues } from '../queues/account-queues.js';

export const DASHBOARD_PATH = '/dashboard';

export interface DashboardOptions {
  queues: AccountQueues;
  /** Which accounts to show when there are more than MOST_SHOWN: those with work, jobs running, dead letters or a pause. */
  notable?: NotableAccounts;
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

/** Accounts the dashboard shows at most: bull-board reads every queue it shows on each refresh. */
export const MOST_SHOWN = 100;
/** The accounts shown are chosen again on a refresh at most this often (four commands each time). */
const RECHOOSE_AFTER_MS = 2_000;

const adaptersOf = ({ account, queue, deadLetters }: AccountQueue) => [
  new BullMQAdapter(queue, { description: `${account.provider} account "${account.id}", ${account.rateLimit.text}` }),
  new BullMQAdapter(deadLetters, { readOnlyMode: true, description: `dead letters of "${account.id}" (redrive with the API or closer dlq redrive)` }),
];

/**
 * bull-board at /dashboard: the account queues, and their dead letters
 * read-only (nothing processes them; redrive through the API or CLI). With
 * more than MOST_SHOWN accounts, it shows the notable ones (with work, jobs
 * running, dead letters or a pause), chosen again as the page refreshes (at
 * most every 2 s): bull-board
 * reads every queue it lists on each refresh, and 10,000 accounts would cost
 * Redis tens of thousands of commands a refresh. Never open: a request
 * without credentials gets a 401 and a basic-auth prompt.
 */
export async function registerDashboard(app: FastifyInstance, options: DashboardOptions): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  const { queues, notable } = options;
  const few = queues.ids().length <= MOST_SHOWN || !notable;
  const board = createBullBoard({
    queues: few ? queues.all().flatMap(adaptersOf) : [],
    serverAdapter,
    options: { uiConfig: { boardTitle: 'closer' } },
  });
  /** With many accounts: the notable ones, chosen again when the page asks for its queues (so work enqueued a moment ago shows). */
  let chosenAt = 0;
  const choose = async () => {
    if (few || Date.now() - chosenAt < RECHOOSE_AFTER_MS) return;
    chosenAt = Date.now();
    const ids = await notable.list(MOST_SHOWN);
    board.replaceQueues(ids.map((id) => queues.get(id)).filter((entry): entry is AccountQueue => entry !== undefined).flatMap(adaptersOf));
  };
  await app.register(async (dashboard) => {
    dashboard.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      if (!authorised(request.headers.authorization, options)) {
        return reply
          .code(401)
          .header('www-authenticate', 'Basic realm="closer dashboard", charset="UTF-8"')
          .send({ error: 'unauthorized', message: 'the dashboard needs the API token (Bearer, or as the basic-auth password) or the dashboard basic auth' });
      }
    });
    dashboard.addHook('preHandler', async (request: FastifyRequest) => {
      // Redis away: the page still loads, with the accounts chosen last time.
      if (request.url.startsWith(`${DASHBOARD_PATH}/api/queues`)) await choose().catch(() => undefined);
    });
    await dashboard.register(serverAdapter.registerPlugin(), { prefix: DASHBOARD_PATH });
  });
}
