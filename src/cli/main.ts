#!/usr/bin/env node
import { Command, Option } from 'commander';
import pRetry from 'p-retry';
import { loadConfig } from '../config/load-config.js';
import type { Config } from '../config/types.js';
import { AppError } from '../errors/app-error.js';
import { createLogger } from '../logger.js';
import { ProducerError, ValidationError } from '../producer/producer-errors.js';
import { createProducer, type JobStatus, type Producer } from '../producer/producer.js';
import { createAccountDirectory, mergeAccounts } from '../accounts/account-directory.js';
import { keyNames } from '../queues/names.js';
import { checkRedisReachable } from '../redis/check-redis-reachable.js';
import { createRedis } from '../redis/create-redis.js';
import { LEGACY_PREFIX, migrateKeys, runningClients } from '../upgrade/migrate-keys.js';
import { runAllInOne, runApiProcess, runSchedulerProcess, runWorkerProcess } from '../runtime/processes.js';
import type { BatchReport } from '../batches/batch-store.js';
import { runDemo } from '../demo/run-demo.js';
import { table } from './output.js';
import { watchBatch } from './progress.js';
import { readRefs } from './read-refs.js';
import { readAccountSpec } from './read-account.js';
import { createAccountAdmin, type AccountAdmin, type AccountView } from '../accounts/account-admin.js';
import { openRegistry } from '../runtime/open-registry.js';
import { createSharedServices } from '../runtime/shared-services.js';

/** Exit codes: 1 the request failed, 2 bad configuration or usage, or Redis unreachable; 3 a waited-for batch ended with dead letters. */
const EXIT_FAILED = 1;
const EXIT_CONFIG = 2;
const EXIT_DEAD_LETTERS = 3;

/** After waiting for a batch: closes that ended in the dead letters make the exit code say so. */
function exitForBatch(report: BatchReport): void {
  if (report.deadLettered > 0) {
    console.error(`${report.deadLettered} of ${report.total} close(s) were dead-lettered; see why with: closer dlq list -a ${report.account}`);
    process.exitCode = EXIT_DEAD_LETTERS;
  }
}

function config(): Config {
  return loadConfig(process.env);
}

interface CliServices {
  producer: Producer;
  admin: AccountAdmin;
}

/**
 * Runs a command on the producer and the account admin, and always releases
 * the Redis connection, so the CLI exits. It acts on its own configured
 * accounts, on those the running processes published (the demo's, a
 * deployment's accounts file) and on the managed ones. `requireKey`: the
 * command opens or seals credentials, so CLOSER_SECRET_KEY must be right.
 */
async function withServices<T>(run: (services: CliServices) => Promise<T>, { requireKey = false } = {}): Promise<T> {
  const cfg = config();
  // A plain message and exit 2 when Redis is not there, rather than a 503 per command.
  await checkRedisReachable(cfg);
  const redis = createRedis(cfg, 'producer', 'closer-cli');
  redis.on('error', () => undefined); // a command run while Redis is down answers 503
  try {
    // The connection fails fast until it is up.
    await pRetry(
      () => {
        if (redis.status !== 'ready') throw new Error(`redis connection is ${redis.status}`);
      },
      { retries: 12, minTimeout: 50, maxTimeout: 400 },
    ).catch(() => undefined);
    const keys = keyNames(cfg.queuePrefix);
    const directory = createAccountDirectory(redis, keys);
    const published = await directory.list().catch(() => []);
    const logger = createLogger({ level: 'silent' });
    const registry = await openRegistry(cfg, redis, keys, logger, 'info', { configured: mergeAccounts(cfg.accounts, published), requireKey });
    const services = createSharedServices(cfg, redis, registry.accounts);
    const producer = createProducer(cfg, { redis, services, accounts: registry.accounts });
    const admin = createAccountAdmin({
      redis,
      keys,
      store: registry.store,
      accounts: registry.accounts,
      box: registry.box,
      queues: services.queues,
      producer,
      configuredElsewhere: async () => published.map((account) => account.id),
    });
    try {
      return await run({ producer, admin });
    } finally {
      registry.stop();
      await producer.dispose();
    }
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}

const withProducer = <T>(run: (producer: Producer) => Promise<T>): Promise<T> => withServices(({ producer }) => run(producer));

/** Follows a job until it completes or fails; p-retry paces the polls. */
async function waitForJob(producer: Producer, jobId: string): Promise<JobStatus> {
  return pRetry(
    async () => {
      const status = await producer.job(jobId);
      if (status.state !== 'completed' && status.state !== 'failed') throw new Error(`job is ${status.state}`);
      return status;
    },
    { retries: 1_000, minTimeout: 100, maxTimeout: 1_000, factor: 1.2 },
  );
}

/** Waits quietly for a batch to be done (for --json). */
async function waitForBatch(producer: Producer, batchId: string): Promise<BatchReport> {
  return pRetry(
    async () => {
      const report = await producer.batch(batchId);
      if (!report.done) throw new Error('pending');
      return report;
    },
    { retries: 100_000, minTimeout: 200, maxTimeout: 1_000, factor: 1.2 },
  );
}

const print = (value: unknown, json: boolean, render: () => string) => console.log(json ? JSON.stringify(value, null, 2) : render());

const program = new Command('closer')
  .description('Close and list customer conversations on Peach, Callbell and Chatwoot through Redis queues')
  .showHelpAfterError();

program
  .command('start')
  .description('API, workers and scheduler in one process (built-in simulators when no provider is configured)')
  .action(async () => {
    const cfg = config();
    await runAllInOne(cfg, createLogger({ level: cfg.logLevel }), (line) => console.log(line));
  });

program
  .command('demo')
  .description('run closer on built-in simulators with a mixed batch per provider (closes, a 429, retries, dead letters)')
  .action(async () => {
    const cfg = config();
    // The demo narrates on stdout; its logs stay quiet unless LOG_LEVEL asks for them.
    await runDemo(cfg, createLogger({ level: process.env.LOG_LEVEL ? cfg.logLevel : 'error' }), process.stdout);
  });

program
  .command('worker')
  .description('run the workers of every configured account')
  .action(async () => {
    const cfg = config();
    await runWorkerProcess(cfg, createLogger({ level: cfg.logLevel }));
  });

program
  .command('scheduler')
  .description('keep the auto-close schedules (sweeps run on the workers)')
  .action(async () => {
    const cfg = config();
    await runSchedulerProcess(cfg, createLogger({ level: cfg.logLevel }));
  });

program
  .command('api')
  .description('serve the HTTP API')
  .action(async () => {
    const cfg = config();
    await runApiProcess(cfg, createLogger({ level: cfg.logLevel }));
  });

program
  .command('close')
  .description('enqueue closes: refs as JSON arguments and/or --file (JSON list, list result or one ref per line; - for stdin)')
  .requiredOption('-a, --account <id>', 'account id')
  .option('-f, --file <path>', 'file with refs')
  .option('-b, --batch <id>', 'batch id (resending the same batch is idempotent)')
  .option('-w, --wait', 'follow the batch with a progress bar until it is done')
  .option('-p, --priority <priority>', 'high: ahead of the account\'s backlog (within its rate limit); normal (default)')
  .option('--json', 'print JSON')
  .argument('[refs...]', 'refs as JSON, e.g. \'{"conversationId": 42}\'')
  .action(async (refs: string[], options: { account: string; file?: string; batch?: string; wait?: boolean; priority?: string; json?: boolean }) => {
    const conversations = readRefs(refs, options.file);
    await withProducer(async (producer) => {
      const result = await producer.close({
        account: options.account,
        conversations,
        ...(options.batch ? { batchId: options.batch } : {}),
        ...(options.priority ? { priority: options.priority } : {}),
      });
      if (!options.wait) {
        print(result, Boolean(options.json), () => `batch ${result.batchId}: ${result.accepted} enqueued, ${result.duplicates} duplicate(s) of ${result.total}`);
        return;
      }
      if (!options.json) console.log(`batch ${result.batchId}: ${result.accepted} enqueued, ${result.duplicates} duplicate(s) of ${result.total}`);
      const report = options.json ? await waitForBatch(producer, result.batchId) : await watchBatch(producer, result.batchId, { out: process.stdout });
      if (options.json) print({ ...result, report }, true, () => '');
      exitForBatch(report);
    });
  });

program
  .command('list')
  .description('list conversations (through the account\'s queue and rate limit) and wait for the result')
  .requiredOption('-a, --account <id>', 'account id')
  .option('-s, --status <status>', 'open, pending, closed or all', 'open')
  .option('--idle-for <duration>', 'last activity older than this, e.g. 24h')
  .option('--updated-since <iso>', 'last activity (Peach: update) at or after this date-time')
  .option('--filter <json>', 'provider filters as JSON, e.g. \'{"inboxId": 3}\'', '{}')
  .addOption(new Option('--limit <n>', 'at most this many (1-10000)').default(1_000).argParser(Number))
  .option('--json', 'print JSON (a valid `closer close --file` input)')
  .action(async (options: { account: string; status: string; idleFor?: string; updatedSince?: string; filter: string; limit: number; json?: boolean }) => {
    const native = readRefs([options.filter], undefined)[0] as Record<string, unknown>;
    const filter = { ...native, status: options.status, ...(options.idleFor ? { idleFor: options.idleFor } : {}), ...(options.updatedSince ? { updatedSince: options.updatedSince } : {}) };
    const status = await withProducer(async (producer) => {
      const { jobId } = await producer.list({ account: options.account, filter, limit: options.limit });
      return waitForJob(producer, jobId);
    });
    if (status.state !== 'completed') {
      console.error(`list ${status.jobId} ${status.state}: ${status.error?.code ?? ''} ${status.error?.message ?? ''}`);
      process.exit(EXIT_FAILED);
    }
    const result = status.result as { conversations: Record<string, unknown>[]; truncated: boolean; scanned: number };
    print(result, Boolean(options.json), () => {
      const rows = result.conversations.map((c) => ({ ...c, name: (c.contact as { name?: string }).name, phone: (c.contact as { phoneNumber?: string }).phoneNumber }));
      return `${table(rows, ['id', 'status', 'lastActivityAt', 'name', 'phone', 'ref'])}\n${rows.length} conversation(s)${result.truncated ? ' (truncated by --limit)' : ''}, ${result.scanned} scanned`;
    });
  });

program
  .command('batch')
  .description('progress of a batch; `batch cancel <id>` cancels its closes that have not started')
  .argument('<batchId>')
  .argument('[id]', 'with "cancel": the batch to cancel')
  .option('--watch', 'follow it with a progress bar until it is done')
  .option('--json', 'print JSON (with --watch: once done)')
  .action(async (batchId: string, cancelId: string | undefined, options: { watch?: boolean; json?: boolean }) => {
    if (cancelId !== undefined && batchId !== 'cancel') throw new Error(`unexpected argument "${cancelId}": use closer batch <id>, or closer batch cancel <id>`);
    const cancelling = cancelId !== undefined;
    const report = await withProducer((producer) =>
      cancelling
        ? producer.cancelBatch(cancelId)
        : !options.watch
          ? producer.batch(batchId)
          : options.json
            ? waitForBatch(producer, batchId)
            : watchBatch(producer, batchId, { out: process.stdout }),
    );
    if (options.watch) exitForBatch(report);
    if (options.watch && !options.json) return;
    print(report, Boolean(options.json), () =>
      table([report as unknown as Record<string, unknown>], ['batchId', 'account', 'total', 'completed', 'deadLettered', 'cancelled', 'pending', 'done', 'duplicates', 'skipped']),
    );
  });

const dlq = program.command('dlq').description('dead letters: list, redrive, delete');
dlq
  .command('list')
  .option('-a, --account <id>')
  .addOption(new Option('--limit <n>', 'at most this many (1-1000)').default(50).argParser(Number))
  .addOption(new Option('--offset <n>', 'skip this many').default(0).argParser(Number))
  .option('--json', 'print JSON')
  .action(async (options: { account?: string; limit: number; offset: number; json?: boolean }) => {
    const page = await withProducer((producer) => producer.deadLetters(options));
    print(page, Boolean(options.json), () =>
      `${table(page.items as unknown as Record<string, unknown>[], ['id', 'reason', 'status', 'attempts', 'failedAt', 'ref'])}\n${page.items.length} of ${page.total}`,
    );
  });
dlq
  .command('redrive')
  .description('run dead letters again with fresh attempts (all of them, or of one account, or the given ids)')
  .option('-a, --account <id>')
  .argument('[ids...]')
  .action(async (ids: string[], options: { account?: string }) => {
    const result = await withProducer((producer) => producer.redrive({ ...(options.account ? { account: options.account } : {}), ...(ids.length ? { ids } : {}) }));
    console.log(`redriven: ${result.redriven}`);
  });
dlq
  .command('delete')
  .argument('<id>')
  .action(async (id: string) => {
    await withProducer((producer) => producer.deleteDeadLetter(id));
    console.log(`deleted ${id}`);
  });

const accounts = program
  .command('accounts')
  .description('accounts with their queue counts; pause, resume, add, update, remove or show one')
  .option('--json', 'print JSON')
  .action(async (options: { json?: boolean }) => {
    const list = await withProducer((producer) => producer.accounts());
    print(list, Boolean(options.json), () =>
      table(
        list.map((a) => ({
          ...a,
          ...a.counts,
          paused: a.paused ? (a.pausedReason ?? 'yes') : 'no',
          autoClose: a.autoClose ? `idle ${a.autoClose.idleAfter} every ${a.autoClose.every}${a.autoClose.dryRun ? ' (dry run)' : ''}` : 'off',
          lastSweep: a.autoClose?.lastRun ? `${a.autoClose.lastRun.at}: ${a.autoClose.lastRun.idle} idle, ${a.autoClose.lastRun.enqueued} enqueued` : '-',
        })),
        ['id', 'provider', 'rateLimit', 'paused', 'waiting', 'active', 'delayed', 'completed', 'deadLettered', 'autoClose', 'lastSweep'],
      ),
    );
  });
accounts
  .command('pause')
  .argument('<id>')
  .action(async (id: string) => {
    await withProducer((producer) => producer.pauseAccount(id));
    console.log(`paused ${id}`);
  });
accounts
  .command('sweep')
  .description('run an auto-close sweep now and print its outcome')
  .argument('<id>')
  .option('--dry-run', 'list what it would close; close nothing')
  .option('--json', 'print JSON')
  .action(async (id: string, options: { json?: boolean; dryRun?: boolean }) => {
    const status = await withProducer(async (producer) => waitForJob(producer, (await producer.sweepNow(id, undefined, { dryRun: Boolean(options.dryRun) })).jobId));
    if (status.state !== 'completed') {
      console.error(`sweep ${status.state}: ${status.error?.code ?? ''} ${status.error?.message ?? ''}`);
      process.exit(EXIT_FAILED);
    }
    const result = status.result as Record<string, unknown> & { wouldClose?: { ref: unknown; lastActivityAt: string | null }[] };
    print(result, Boolean(options.json), () => {
      const summary = table([result], ['at', 'scanned', 'idle', 'enqueued', 'skipped', 'batchId', 'dryRun']);
      if (!result.wouldClose) return summary;
      const rows = result.wouldClose.map(({ ref, lastActivityAt }) => ({ ref: JSON.stringify(ref), lastActivityAt }));
      return `${summary}\nwould close ${rows.length}:\n${table(rows, ['ref', 'lastActivityAt'])}`;
    });
  });
accounts
  .command('resume')
  .argument('<id>')
  .action(async (id: string) => {
    await withProducer((producer) => producer.resumeAccount(id));
    console.log(`resumed ${id}`);
  });

/** `--json` after a subcommand of `accounts`, which has the option too (commander gives it to the parent). */
const wantsJson = (command: Command) => Boolean((command.optsWithGlobals() as { json?: boolean }).json);

/** An account's view, credentials masked, as the API answers it. */
const showAccount = (view: AccountView, json: boolean) =>
  print(view, json, () =>
    table(
      [{ ...view, ...view.counts, credentials: Object.entries(view.credentials).map(([name, masked]) => `${name} ${masked}`).join(', '), autoClose: view.autoClose ? `idle ${view.autoClose.idleAfter} every ${view.autoClose.every}` : 'off' }],
      ['id', 'provider', 'source', 'baseUrl', 'rateLimit', 'credentials', 'autoClose', 'waiting', 'deadLettered'],
    ),
  );
accounts
  .command('add')
  .description('make a managed account from a JSON or YAML file (- for stdin), fields as in the accounts file; ${NAME} reads the environment')
  .argument('<file>')
  .option('--json', 'print JSON')
  .action(async (file: string, _options: unknown, command: Command) => {
    const spec = readAccountSpec(file);
    showAccount(await withServices(({ admin }) => admin.create(spec), { requireKey: true }), wantsJson(command));
  });
accounts
  .command('update')
  .description('change a managed account: the fields to change, from a JSON or YAML file (- for stdin); null removes a field')
  .argument('<id>')
  .argument('<file>')
  .option('--json', 'print JSON')
  .action(async (id: string, file: string, _options: unknown, command: Command) => {
    const patch = readAccountSpec(file);
    showAccount(await withServices(({ admin }) => admin.update(id, patch), { requireKey: true }), wantsJson(command));
  });
accounts
  .command('show')
  .description('one account, credentials masked')
  .argument('<id>')
  .option('--json', 'print JSON')
  .action(async (id: string, _options: unknown, command: Command) => {
    showAccount(await withServices(({ admin }) => admin.show(id), { requireKey: true }), wantsJson(command));
  });
accounts
  .command('remove')
  .description('remove a managed account; refused while it has pending jobs or dead letters, unless --purge')
  .argument('<id>')
  .option('--purge', 'remove its pending jobs and dead letters with it')
  .action(async (id: string, options: { purge?: boolean }) => {
    const removed = await withServices(({ admin }) => admin.remove(id, { purge: Boolean(options.purge) }));
    console.log(`removed ${id}${options.purge ? ` (and ${removed.jobs} pending job(s), ${removed.deadLetters} dead letter(s))` : ''}`);
  });

program
  .command('keys')
  .description('the secret key of managed accounts\' credentials')
  .command('rotate')
  .description('re-encrypt every managed account with CLOSER_SECRET_KEY (the old key as CLOSER_SECRET_KEY_PREVIOUS)')
  .action(async () => {
    const { resealed, total } = await withServices(({ admin }) => admin.rotateKeys(), { requireKey: true });
    console.log(`re-encrypted ${resealed} of ${total} managed account(s) with the current key${resealed < total ? ' (the others already were)' : ''}`);
  });

program
  .command('migrate-keys')
  .description(`move the keys of the single-slot layout (before 0.2: every key under ${LEGACY_PREFIX}) to the per-account layout; stop every closer process first`)
  .option('--from <prefix>', 'the old CLOSER_QUEUE_PREFIX', LEGACY_PREFIX)
  .option('--dry-run', 'count what would move, move nothing')
  .option('--force', 'run even though closer processes seem connected')
  .action(async (options: { from: string; dryRun?: boolean; force?: boolean }) => {
    const cfg = config();
    await checkRedisReachable(cfg);
    const redis = createRedis(cfg, 'worker', 'closer-migrate');
    redis.on('error', () => undefined);
    try {
      const running = await runningClients(redis, options.from, 'closer-migrate');
      if (running.length > 0 && !options.force) {
        console.error(`closer processes are still connected (${[...new Set(running)].slice(0, 5).join(', ')}${running.length > 5 ? ', ...' : ''}): stop them first, or pass --force`);
        process.exitCode = EXIT_FAILED;
        return;
      }
      const report = await migrateKeys(redis, options.from, keyNames(cfg.queuePrefix), { dryRun: Boolean(options.dryRun), knownAccounts: cfg.accounts.map((a) => a.id) });
      const verb = options.dryRun ? 'would move' : 'moved';
      console.log(`${verb} ${report.moved} key(s) of ${report.accounts.length} account(s) (${report.accounts.join(', ') || 'none'}) and ${report.batches} batch(es) from ${options.from} to ${cfg.queuePrefix}:{<account>}`);
      if (report.dropped > 0) console.log(`${options.dryRun ? 'would drop' : 'dropped'} ${report.dropped} key(s) the new version rebuilds`);
      if (report.conflicts.length > 0) console.log(`left ${report.conflicts.length} key(s) whose new name is taken: ${report.conflicts.slice(0, 10).join(', ')}`);
      if (report.unknown.length > 0) console.log(`left ${report.unknown.length} key(s) this migration does not know: ${report.unknown.slice(0, 10).join(', ')}`);
    } finally {
      await redis.quit().catch(() => redis.disconnect());
    }
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof ValidationError) {
    console.error(`${error.message}:`);
    for (const issue of error.issues) console.error(`  ${issue.path || '(request)'}: ${issue.message}`);
    process.exit(EXIT_FAILED);
  }
  if (error instanceof ProducerError) {
    console.error(`${error.code}: ${error.message}`);
    process.exit(EXIT_FAILED);
  }
  if (error instanceof AppError) {
    console.error(error.message);
    process.exit(EXIT_CONFIG);
  }
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(EXIT_FAILED);
}
