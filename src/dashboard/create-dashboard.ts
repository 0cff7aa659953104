import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { NotableAccounts } from '../accounts/notable-accounts.js';
import { adminAuthorization } from '../auth/admin-credentials.js';
import { foreignOrigin } from '../auth/request-origin.js';
import type { AccountQueue, AccountQueues } from '../queues/account-queues.js';

export const DASHBOARD_PATH = '/dashboard';

export interface DashboardOptions {
  queues: AccountQueues;
  /** Which accounts to show when there are more than MOST_SHOWN: those with work, jobs running, dead letters or a pause. */
  notable?: NotableAccounts;
  apiToken: string;
  basicAuth?: { user: string; password: string };
  /** The operations console, linked from the board's header. */
  consolePath?: string;
}

/** Accounts the dashboard shows at most: bull-board reads every queue it shows on each refresh. */
export const MOST_SHOWN = 100;
/** The accounts shown are chosen again on a refresh at most this often (four commands each time). */
const RECHOOSE_AFTER_MS = 2_000;

/**
 * An account's queue, read-only: bull-board is for looking at raw jobs; its
 * clean, empty, retry, promote, edit and delete buttons would act on live
 * work behind the batches' backs (the console and the API do what ops
 * need). The dead-letter queues are left out: nothing processes them, so
 * bull-board would show them as idle queues with no workers and count
 * their entries as waiting; the console shows dead letters.
 */
const adaptersOf = ({ account, queue }: AccountQueue) => [
  new BullMQAdapter(queue, { readOnlyMode: true, description: `${account.provider} account "${account.id}", ${account.rateLimit.text}` }),
];

/**
 * bull-board at /dashboard: the account queues, read-only (see adaptersOf;
 * dead letters are the console's). With
 * more than MOST_SHOWN accounts, it shows the notable ones (with work, jobs
 * running, dead letters or a pause), chosen again as the page refreshes (at
 * most every 2 s): bull-board
 * reads every queue it lists on each refresh, and 10,000 accounts would cost
 * Redis tens of thousands of commands a refresh. Never open: a request
 * without credentials gets a 401 and a basic-auth prompt. A browser keeps
 * basic-auth credentials and sends them with any request to this host, even
 * one a page of another origin starts: a state-changing request from such a
 * page is refused whatever it carries.
 */
export async function registerDashboard(app: FastifyInstance, options: DashboardOptions): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  const { queues, notable } = options;
  const few = queues.ids().length <= MOST_SHOWN || !notable;
  const board = createBullBoard({
    queues: few ? queues.all().flatMap(adaptersOf) : [],
    serverAdapter,
    options: { uiConfig: { boardTitle: 'closer', ...(options.consolePath ? { miscLinks: [{ text: 'Console', url: options.consolePath }] } : {}) } },
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
      if (!adminAuthorization(request.headers.authorization, options)) {
        return reply
          .code(401)
          .header('www-authenticate', 'Basic realm="closer dashboard", charset="UTF-8"')
          .send({ error: 'unauthorized', message: 'the dashboard needs the API token (Bearer, or as the basic-auth password) or the dashboard basic auth' });
      }
      const foreign = request.method === 'GET' || request.method === 'HEAD' ? undefined : foreignOrigin(request);
      if (foreign) return reply.code(403).send({ error: 'csrf_refused', message: `refused: ${foreign}; the dashboard takes no state-changing request from another origin` });
    });
    dashboard.addHook('preHandler', async (request: FastifyRequest) => {
      // Redis away: the page still loads, with the accounts chosen last time.
      if (request.url.startsWith(`${DASHBOARD_PATH}/api/queues`)) await choose().catch(() => undefined);
    });
    await dashboard.register(serverAdapter.registerPlugin(), { prefix: DASHBOARD_PATH });
  });
}
