import type { Config } from '../config/types.js';
import type { Logger } from '../logger.js';
import { watchBatch } from '../cli/progress.js';
import { createProducer } from '../producer/producer.js';
import { runAllInOne } from '../runtime/processes.js';
import { startDemoProviders } from './demo-providers.js';

/**
 * `closer demo` / `npm run demo`: closer on the built-in simulators, with a
 * mixed batch per provider that shows closes, a provider's 429 and the
 * account waiting it out, retries of flaky answers and dead letters. Runs
 * until Ctrl-C so the dashboard can be explored.
 */
export async function runDemo(config: Config, logger: Logger, out: NodeJS.WriteStream): Promise<void> {
  const print = (line: string) => out.write(`${line}\n`);
  const providers = await startDemoProviders();
  const { peach, callbell, chatwoot } = providers;

  const peachIds = peach.listConversations().filter((c) => c.status !== 'closed').slice(0, 40).map((c) => c.id);
  for (const id of peachIds.slice(0, 3)) peach.faults.failFor(id, 503, 2); // flaky: two 503s, then fine
  peach.faults.failFor(peachIds[3]!, 429, 1, { retryAfterMs: 3_000 }); // the provider asks for 3 s
  const callbellUuids = callbell.listContacts().slice(0, 40).map((c) => c.uuid);
  const chatwootIds = chatwoot.listConversations().slice(0, 40).map((c) => c.id);

  const all = await runAllInOne({ ...config, accounts: [] }, logger, print, { providers });
  const producer = createProducer(all.config);
  try {
    for (let i = 0; i < 50 && !(await producer.readiness()).ready; i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
    const requests = [
      { account: 'peach', conversations: [...peachIds.map((conversationId) => ({ conversationId })), { conversationId: 990_001 }, { conversationId: 990_002 }] },
      { account: 'callbell', conversations: [...callbellUuids.map((contactUuid) => ({ contactUuid })), { contactUuid: 'no-such-contact' }] },
      { account: 'chatwoot', conversations: [...chatwootIds.map((conversationId) => ({ conversationId })), { conversationId: 990_003 }] },
    ];
    print('\nEnqueueing one mixed batch per provider: closes, flaky answers (retried), one 429 (the account waits), unknown ids (dead letters).');
    const batches = [];
    for (const request of requests) {
      const accepted = await producer.close(request);
      batches.push({ account: request.account, batchId: accepted.batchId });
      print(`  ${request.account}: batch ${accepted.batchId}, ${accepted.accepted} closes`);
    }
    for (const { account, batchId } of batches) {
      print(`\n${account}:`);
      await watchBatch(producer, batchId, { out });
    }
    const letters = await producer.deadLetters({ limit: 10 });
    print(`\nDead letters (${letters.total}): ${letters.items.map((item) => `${item.id} ${item.reason}`).join(', ')}`);
    print(`\nDashboard: ${all.dashboardUrl}  (user: anything, password: ${all.apiToken})`);
    print(`API:       ${all.apiUrl}  (Authorization: Bearer ${all.apiToken})`);
    print(`Try:       curl -s ${all.apiUrl}/v1/accounts -H 'authorization: Bearer ${all.apiToken}'`);
    print(`Redrive:   curl -s -X POST ${all.apiUrl}/v1/dead-letters/redrive -H 'authorization: Bearer ${all.apiToken}' -H 'content-type: application/json' -d '{}'`);
    print('\nRunning until Ctrl-C.');
  } finally {
    await producer.dispose();
  }
}
