import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDemoReceiver } from './demo-receiver.js';
import type { Config } from '../config/types.js';
import type { Logger } from '../logger.js';
import { table } from '../cli/output.js';
import { createProducer } from '../producer/producer.js';
import { runAllInOne } from '../runtime/processes.js';
import { createNarration } from './demo-narration.js';
import { startDemoProviders, type DemoProviders } from './demo-providers.js';

interface DemoBatch {
  account: string;
  conversations: unknown[];
  /** What this batch meets, as the intro tells it. */
  story: string;
}

/** Faults planted in the simulators, and the batch per provider that meets them. */
function plantFaults({ peach, callbell, chatwoot }: DemoProviders): DemoBatch[] {
  const peachIds = peach.listConversations().filter((c) => c.status !== 'closed').slice(0, 40).map((c) => c.id);
  for (const id of peachIds.slice(0, 3)) peach.faults.failFor(id, 503, 2); // flaky: two 503s, then fine
  peach.faults.failFor(peachIds[3]!, 429, 1, { retryAfterMs: 3_000 }); // the provider asks for 3 s
  const callbellUuids = callbell.listContacts().slice(0, 40).map((c) => c.uuid);
  for (const uuid of callbellUuids.slice(0, 2)) callbell.faults.failFor(uuid, 500, 1);
  callbell.faults.failFor(callbellUuids[2]!, 429, 1);
  const chatwootIds = chatwoot.listConversations().slice(0, 40).map((c) => c.id);
  for (const id of chatwootIds.slice(0, 2)) chatwoot.faults.failFor(id, 502, 1);
  return [
    {
      account: 'peach',
      conversations: [...peachIds.map((conversationId) => ({ conversationId })), { conversationId: 990_001 }, { conversationId: 990_002 }],
      story: '40 closes: three answer 503 twice (retried), one answers 429 with Retry-After 3 s (the account waits), two unknown ids (dead letters)',
    },
    {
      account: 'callbell',
      conversations: [...callbellUuids.map((contactUuid) => ({ contactUuid })), { contactUuid: 'no-such-contact' }],
      story: '40 closes: two answer 500 once (retried), one answers 429 (the account waits for the next second, Callbell\'s window), one unknown contact (dead letter)',
    },
    {
      account: 'chatwoot',
      conversations: [...chatwootIds.map((conversationId) => ({ conversationId })), { conversationId: 990_003 }],
      story: '40 closes: two answer 502 once (retried), one unknown conversation (dead letter). No 429 here: Chatwoot sends no Retry-After, so an account waits for the next minute',
    },
  ];
}

/**
 * `closer demo` / `npm run demo`: closer on the built-in simulators, with a
 * mixed batch per provider, narrated as it happens: every 429 and the
 * account waiting it out, every retry, every dead letter, each batch's
 * summary. Runs until Ctrl-C so the API and the dashboard can be explored.
 */
export async function runDemo(config: Config, logger: Logger, out: NodeJS.WriteStream): Promise<void> {
  const print = (line: string) => out.write(`${line}\n`);
  const providers = await startDemoProviders();
  const batches = plantFaults(providers);
  const narration = createNarration(out);

  // Callbacks as an app would take them: signed with a secret made for this run, to a receiver on this machine.
  const callbackSecret = config.callbackSecret ?? `whsec_${randomBytes(32).toString('base64')}`;
  const receiver = await startDemoReceiver(callbackSecret, print);
  const all = await runAllInOne({ ...config, accounts: [], callbackSecret, callbackAllowPrivate: true }, logger, print, {
    providers,
    onJobEvent: narration.event,
    closeables: [{ name: 'callback receiver', close: receiver.close }],
  });
  const producer = createProducer(all.config);
  try {
    for (let i = 0; i < 50 && !(await producer.readiness()).ready; i += 1) await sleep(100);
    print('\nOne mixed batch per provider, each event shown as it happens:');
    for (const { account, story } of batches) print(`  ${account.padEnd(10)}${story}`);
    print(`Each batch asks for signed callbacks, to a receiver at ${receiver.url}: its dead letters as they happen, and the batch when it is done.`);
    print('');
    const ids: string[] = [];
    for (const { account, conversations } of batches) ids.push((await producer.close({ account, conversations, callback: { url: receiver.url, events: ['batch.done', 'conversation.dead_lettered'] } })).batchId);
    for (;;) {
      const reports = await Promise.all(ids.map((id) => producer.batch(id)));
      narration.progress(reports);
      if (reports.every((report) => report.done)) break;
      await sleep(250);
    }
    // The callbacks follow the batches' ends within moments.
    for (let i = 0; i < 40 && receiver.received() < ids.length; i += 1) await sleep(250);
    const letters = await producer.deadLetters({ limit: 20 });
    print(`\nDead letters (${letters.total}), kept with their reason until redriven or deleted:`);
    print(table(letters.items as unknown as Record<string, unknown>[], ['id', 'account', 'reason', 'status', 'ref']));
    print(`\nConsole:   ${all.consoleUrl}  (log in with the token ${all.apiToken})`);
    print(`Dashboard: ${all.dashboardUrl}  (raw queues; user: anything, password: ${all.apiToken})`);
    print(`API:       ${all.apiUrl}  (Authorization: Bearer ${all.apiToken})`);
    print(`Try:       TOKEN=${all.apiToken}; curl -s ${all.apiUrl}/v1/accounts -H "authorization: Bearer $TOKEN"`);
    print(`Redrive:   curl -s -X POST ${all.apiUrl}/v1/dead-letters/redrive -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{}'`);
    print(`CLI:       from another shell, npx closer accounts (or closer dlq list) shows these same accounts`);
    print('\nRunning until Ctrl-C.');
  } finally {
    await producer.dispose();
  }
}
