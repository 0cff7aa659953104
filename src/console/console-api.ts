import type { FastifyInstance } from 'fastify';
import type { ConsoleData } from './console-data.js';
import { parseAccountsQuery, parseBatchesQuery, parseDeadLetterScope, parseIdsBody, parseRedriveBody, parseSweepQuery } from './console-requests.js';

const plural = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`;

/**
 * The console's JSON under <base>/api, behind its session and CSRF guard
 * (register-console.ts). Every action answers with `message`: what it did,
 * in words the page shows as is.
 */
export function registerConsoleApi(api: FastifyInstance, data: ConsoleData): void {
  api.get('/accounts', async (request) => {
    const { q, page } = parseAccountsQuery(request.query);
    return data.accounts({ query: q, page });
  });
  api.get<{ Params: { id: string } }>('/accounts/:id', async (request) => data.account(request.params.id));

  api.post<{ Params: { id: string } }>('/accounts/:id/pause', async (request) => {
    const account = await data.pause(request.params.id);
    return { message: `Paused "${account.id}": its jobs wait until it is resumed.`, account };
  });
  api.post<{ Params: { id: string } }>('/accounts/:id/resume', async (request) => {
    const account = await data.resume(request.params.id);
    const waiting = account.counts.waiting;
    return { message: `Resumed "${account.id}": ${waiting === 0 ? 'nothing was waiting' : `its ${plural(waiting, 'waiting job')} run again`}.`, account };
  });
  api.post<{ Params: { id: string } }>('/accounts/:id/sweep', async (request) => {
    const { dryRun } = parseSweepQuery(request.query);
    const { jobId } = await data.sweep(request.params.id, { dryRun });
    if (dryRun) return { message: `Started a dry run of a sweep of "${request.params.id}" (job ${jobId}): it lists what it would close, and closes nothing.`, jobId };
    return { message: `Started a sweep of "${request.params.id}" (job ${jobId}); its result shows as the last sweep when it ends.`, jobId };
  });
  api.get<{ Params: { id: string } }>('/jobs/:id', async (request) => data.job(request.params.id));

  api.get('/dead-letters', async (request) => data.deadLetters(parseDeadLetterScope(request.query)));
  api.post('/dead-letters/redrive', async (request) => {
    const asked = parseRedriveBody(request.body);
    if ('group' in asked) {
      const { redriven, matched } = await data.redriveGroup(asked.group);
      const gone = matched - redriven;
      return { message: `Redrove ${plural(redriven, 'dead letter')} (${asked.group.reason}${asked.group.status ? ` ${asked.group.status}` : ''})${gone > 0 ? `; ${gone} were gone already` : ''}: they run again with fresh attempts.`, redriven };
    }
    const { redriven } = await data.redrive(asked.ids);
    const gone = asked.ids.length - redriven;
    return { message: `Redrove ${plural(redriven, 'dead letter')}${gone > 0 ? `; ${gone} were gone already` : ''}: they run again with fresh attempts.`, redriven };
  });
  api.post('/dead-letters/delete', async (request) => {
    const { deleted, missing } = await data.remove(parseIdsBody(request.body));
    return { message: `Deleted ${plural(deleted, 'dead letter')}${missing > 0 ? `; ${missing} were gone already` : ''}.`, deleted };
  });

  api.get('/batches', async (request) => {
    const { account, q, page } = parseBatchesQuery(request.query);
    return data.batches({ ...(account ? { account } : {}), query: q, page });
  });
  api.get<{ Params: { id: string } }>('/batches/:id', async (request) => data.batch(request.params.id));
  api.post<{ Params: { id: string } }>('/batches/:id/cancel', async (request) => {
    const batch = await data.cancelBatch(request.params.id);
    return { message: `Cancelled batch "${batch.batchId}": ${plural(batch.cancelled, 'close')} removed before running; closes already running finish.`, batch };
  });
}
