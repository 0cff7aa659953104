// npm run bench:console
// What the operations console's accounts page costs with 10,000 accounts, 100 of them with a backlog (issue 22):
// its first render (the page's HTML, its modules, the first read of the accounts list) and each refresh of the list
// (the page reads it again every 3 s), searched (`shop-09`) and on page 2: wall time of each HTTP request on loopback,
// the server's own time for it, and the Redis commands it cost, the API's background polls accounted apart.
// The backlog is enqueued first by a producer of its own (no worker runs, so it waits); then the API starts in this
// process (startApi), on the same throwaway redis-server, so its first render finds every account's queues untouched.
// The accounts point at a port nothing listens on (nothing is closed). BENCH_CONSOLE_ACCOUNTS, BENCH_CONSOLE_BACKLOG
// (accounts with a backlog), BENCH_CONSOLE_REFRESHES change the sizes. Timings are reported, never asserted; the
// attention order (the backlog accounts first) is checked, and a wrong order fails the run.
// Writes dist/bench/console.json.
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/config/load-config.js';
import { rateOf } from '../src/config/rate.js';
import type { Config, PeachAccount } from '../src/config/types.js';
import { createLogger } from '../src/logger.js';
import { createProducer } from '../src/producer/producer.js';
import { startApi, type ApiRuntime } from '../src/runtime/start-api.js';
import { freePort, startRedis } from '../test/helpers/redis-server.js';
import { buildOf, cpuLoopMs, createStops, errorText, fmt, machineLine, median, percentile } from './measures.js';

// ---- settings -------------------------------------------------------------------------------------------------------
function wholeEnv(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name}: must be a whole number above 0, not ${process.env[name]}`);
  return value;
}
const ACCOUNTS = wholeEnv('BENCH_CONSOLE_ACCOUNTS', 10_000);
/** Accounts with a backlog, spread evenly over the ids (every 100th with the defaults). */
const BACKLOG_ACCOUNTS = Math.min(wholeEnv('BENCH_CONSOLE_BACKLOG', 100), ACCOUNTS);
/** Closes waiting on each of them. */
const BACKLOG_CLOSES = 20;
/** Refreshes of each view, the views interleaved. */
const REFRESHES = wholeEnv('BENCH_CONSOLE_REFRESHES', 20);
/**
 * Between two requests of the bench: longer than the second for which refreshes share one reading of the notable sets
 * (ATTENTION_FRESH_MS in src/console/console-data.ts), so each refresh pays what a tab refreshing every 3 s pays.
 */
const SPACING_MS = 1_100;
/** Requests sent back to back (within that second: two tabs open), to show what the shared reading saves. */
const BACK_TO_BACK = 5;
/** The API's own background work (its registry poll, 1 GET a second), measured over this long with no request. */
const IDLE_MS = 10_000;
const SEARCH = 'shop-09';
const TOKEN = 'console-bench-token';
const PAGE_SIZE = 50;

// Before anything else runs, so nothing of the benchmark's own slows it.
const loopMs = cpuLoopMs();
console.log(`cpu loop: ${Math.round(loopMs)} ms (300 million steps; see cpuLoopMs in bench/measures.ts)`);

const here = (file: string) => new URL(file, import.meta.url).pathname;
const base = loadConfig({});
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const idOf = (index: number) => `shop-${String(index).padStart(5, '0')}`;
const ids = Array.from({ length: ACCOUNTS }, (_, i) => idOf(i));
/** The backlog accounts, in the order their backlogs are enqueued (so the longest waiting first). */
const backlogIds = Array.from({ length: BACKLOG_ACCOUNTS }, (_, i) => ids[Math.floor((i * ACCOUNTS) / BACKLOG_ACCOUNTS)]!);

/** Everything started, stopped newest first at the end, on errors and on Ctrl-C. */
const { track, stopAll } = createStops();

// ---- Redis readings -------------------------------------------------------------------------------------------------
interface Reading {
  /** Commands run so far, by name (INFO commandstats: a script counts once for its EVALSHA and once per command it runs). */
  calls: Record<string, number>;
  /** Redis's CPU so far (user + system), ms. */
  cpuMs: number;
  at: number;
}

/** One INFO command (cpu and commandstats): the only command of the bench's own between two readings. */
async function reading(admin: Redis): Promise<Reading> {
  const info = (await admin.call('INFO', 'cpu', 'commandstats')) as string;
  const at = performance.now();
  const calls: Record<string, number> = {};
  for (const [, name, count] of info.matchAll(/cmdstat_([\w|-]+):calls=(\d+)/g)) calls[name!] = Number(count);
  const seconds = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? NaN);
  return { calls, cpuMs: (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1000, at };
}

/** What Redis ran from one reading to the next, by name, the earlier reading's own INFO taken out. */
function between(before: Reading, after: Reading): { total: number; byName: Record<string, number>; cpuMs: number; ms: number } {
  const byName: Record<string, number> = {};
  for (const [name, calls] of Object.entries(after.calls)) {
    const ran = calls - (before.calls[name] ?? 0) - (name === 'info' ? 1 : 0);
    if (ran > 0) byName[name] = ran;
  }
  return { total: Object.values(byName).reduce((sum, count) => sum + count, 0), byName, cpuMs: after.cpuMs - before.cpuMs, ms: after.at - before.at };
}

// ---- the API ----------------------------------------------------------------------------------------------------------
/** The server's own time of each request: from the http server's 'request' event to the response's 'finish'. */
function serverTimes(runtime: ApiRuntime) {
  const done: { url: string; ms: number }[] = [];
  runtime.app.server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const from = performance.now();
    response.once('finish', () => done.push({ url: request.url ?? '', ms: performance.now() - from }));
  });
  return {
    /** Where the next request's time will be recorded. */
    mark: () => done.length,
    /** The time of the first request for `url` that finished after `mark` (null when none does within a second). */
    async after(mark: number, url: string): Promise<number | null> {
      for (const until = performance.now() + 1_000; performance.now() < until; await sleep(1)) {
        const found = done.slice(mark).find((entry) => entry.url === url);
        if (found) return found.ms;
      }
      return null;
    },
  };
}

interface Sample {
  /** Wall time of the request on loopback: from sending it to its whole answer read, ms. */
  ms: number;
  /** The server's own time for it, ms. */
  serverMs: number | null;
  /** Redis commands between the readings around it, the bench's INFO taken out. */
  commands: number;
  byName: Record<string, number>;
  /** Of them, what the API's background work (IDLE rate) would run in that window. */
  background: number;
  redisCpuMs: number;
  status: number;
  body: string;
}

interface AccountsAnswer {
  total: number;
  page: number;
  pages: number;
  summary: Record<string, number>;
  items: { id: string; attention: string[]; counts: { waiting: number } }[];
}

// ---- run ------------------------------------------------------------------------------------------------------------
const failures: string[] = [];
const checks: string[] = [];
let readyMs: number | null = null;
let enqueueSeconds: number | null = null;
let idle: { perSecond: number; byName: Record<string, number> } | undefined;
const firstRender: { name: string; sample: Sample; files?: number }[] = [];
const views = { list: [] as Sample[], search: [] as Sample[], page2: [] as Sample[], backToBack: [] as Sample[] };
let monitored: { total: number; background: number; shownAccounts: number; touchedAccounts: number; groups: [string, number][] } | undefined;

try {
  const redis = await startRedis();
  track(() => redis.stop());
  const admin = new Redis(redis.url);
  track(async () => admin.disconnect());
  // Nothing listens there: no close is ever sent (no worker runs).
  const providerUrl = `http://127.0.0.1:${await freePort()}`;
  const rateLimit = rateOf('50/s');
  const accounts = ids.map((id): PeachAccount => ({ id, provider: 'peach', baseUrl: providerUrl, apiKey: `key-${id}`, rateLimit }));
  const config: Config = { ...base, redisUrl: redis.url, apiToken: TOKEN, logLevel: 'silent', port: 0, healthPort: 0, queuePrefix: `c${randomUUID().slice(0, 8)}`, accounts };

  // The backlog first, through a producer of its own (an app's, or another API process's): the API process measured
  // below starts afterwards and has touched no account's queues before the console's first render.
  const producer = createProducer(config);
  const disposeProducer = track(() => producer.dispose());
  for (const deadline = performance.now() + 10_000; !(await producer.readiness()).ready; await sleep(50)) {
    if (performance.now() > deadline) throw new Error('the producer found Redis not ready within 10 s');
  }
  const enqueueFrom = performance.now();
  let next = 1;
  for (const account of backlogIds) {
    const conversations = Array.from({ length: BACKLOG_CLOSES }, () => ({ conversationId: next++ }));
    const answer = await producer.close({ account, conversations });
    if (answer.accepted !== BACKLOG_CLOSES) throw new Error(`${account}: ${answer.accepted} of ${BACKLOG_CLOSES} accepted`);
  }
  enqueueSeconds = (performance.now() - enqueueFrom) / 1000;
  await disposeProducer();
  console.log(`backlog: ${fmt(BACKLOG_CLOSES)} closes on each of ${fmt(BACKLOG_ACCOUNTS)} accounts in ${fmt(enqueueSeconds, 1)} s`);

  const startedAt = performance.now();
  const runtime = await startApi(config, createLogger({ level: 'silent' }), { host: '127.0.0.1' });
  track(() => runtime.close());
  while (!(await runtime.producer.readiness()).ready) {
    if (performance.now() - startedAt > 60_000) throw new Error('the API found Redis not ready within 60 s');
    await sleep(50);
  }
  readyMs = performance.now() - startedAt;
  console.log(`API ready with ${fmt(ACCOUNTS)} accounts in ${fmt(readyMs)} ms`);
  const server = serverTimes(runtime);

  // Log in as a browser does: the form with the API token; the session is the cookie.
  const login = await fetch(`${runtime.url}/console/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ user: 'ops', password: TOKEN }).toString(),
    redirect: 'manual',
  });
  await login.arrayBuffer();
  const cookie = login.headers.get('set-cookie')?.split(';')[0];
  if (login.status !== 303 || !cookie) throw new Error(`the console login answered ${login.status}`);

  // The API's background work with nothing asked of it.
  await sleep(1_000);
  const idleFrom = await reading(admin);
  await sleep(IDLE_MS);
  const idleRan = between(idleFrom, await reading(admin));
  idle = { perSecond: idleRan.total / (idleRan.ms / 1000), byName: Object.fromEntries(Object.entries(idleRan.byName).map(([name, count]) => [name, count / (idleRan.ms / 1000)])) };
  console.log(`idle: ${fmt(idle.perSecond, 2)} Redis commands/s (${Object.entries(idle.byName).map(([name, rate]) => `${name} ${fmt(rate, 2)}`).join(', ')})`);

  let lastEnd = performance.now();
  /** GET `path` with the session, measured; waits first until SPACING_MS after the previous request unless `now`. */
  async function get(path: string, { now = false } = {}): Promise<Sample> {
    if (!now) await sleep(Math.max(0, lastEnd + SPACING_MS - performance.now()));
    const before = await reading(admin);
    const mark = server.mark();
    const from = performance.now();
    const response = await fetch(`${runtime.url}${path}`, { headers: { cookie: cookie!, accept: path.includes('/api/') ? 'application/json' : 'text/html' }, signal: AbortSignal.timeout(60_000) });
    const body = await response.text();
    const ms = performance.now() - from;
    const ran = between(before, await reading(admin));
    const serverMs = await server.after(mark, path);
    lastEnd = performance.now();
    if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}: ${body.slice(0, 200)}`);
    return { ms, serverMs, commands: ran.total, byName: ran.byName, background: idle!.perSecond * (ran.ms / 1000), redisCpuMs: ran.cpuMs, status: response.status, body };
  }
  const accountsOf = (sample: Sample) => JSON.parse(sample.body) as AccountsAnswer;

  // ---- first render: the HTML, its modules as the browser fetches them (level by level), the first list ----
  const page = await get('/console', { now: true });
  firstRender.push({ name: 'GET /console (the HTML)', sample: page });
  const importMap = (JSON.parse(/<script type="importmap"[^>]*>([^<]+)<\/script>/.exec(page.body)?.[1] ?? '{"imports":{}}') as { imports: Record<string, string> }).imports;
  const fetched = new Set<string>();
  let wave = [...page.body.matchAll(/(?:href|src)="(\/console\/assets\/[^"]+)"/g)].map((match) => match[1]!);
  const assetsFrom = performance.now();
  const assetsBefore = await reading(admin);
  let assetBytes = 0;
  while (wave.length > 0) {
    wave.forEach((url) => fetched.add(url));
    const bodies = await Promise.all(
      wave.map(async (url) => {
        const response = await fetch(`${runtime.url}${url}`, { headers: { cookie: cookie! } });
        const text = await response.text();
        if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}`);
        assetBytes += Buffer.byteLength(text);
        return { url, text };
      }),
    );
    const imports = bodies.flatMap(({ url, text }) =>
      [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"']+)["']/g)].map((match) => {
        const name = match[1]!;
        return importMap[name] ?? new URL(name, `http://x${url}`).pathname;
      }),
    );
    wave = [...new Set(imports)].filter((url) => !fetched.has(url));
  }
  const assetsRan = between(assetsBefore, await reading(admin));
  firstRender.push({
    name: `its CSS and modules (${fetched.size} files, ${fmt(assetBytes / 1024)} KB, each level of imports fetched at once)`,
    sample: { ms: performance.now() - assetsFrom, serverMs: null, commands: assetsRan.total, byName: assetsRan.byName, background: idle.perSecond * (assetsRan.ms / 1000), redisCpuMs: assetsRan.cpuMs, status: 200, body: '' },
    files: fetched.size,
  });
  const first = await get('/console/api/accounts', { now: true });
  firstRender.push({ name: 'GET /console/api/accounts (the first list)', sample: first });
  console.log(`first render: HTML ${fmt(page.ms, 1)} ms, assets ${fmt(firstRender[1]!.sample.ms, 1)} ms, first list ${fmt(first.ms, 1)} ms (${fmt(first.commands)} Redis commands)`);

  // ---- refreshes: the list, the search, page 2, interleaved, each SPACING_MS after the previous request ----
  for (let round = 0; round < REFRESHES; round += 1) {
    views.list.push(await get('/console/api/accounts'));
    views.search.push(await get(`/console/api/accounts?q=${SEARCH}`));
    views.page2.push(await get('/console/api/accounts?page=2'));
  }

  // ---- the attention order: the backlog accounts first, the longest waiting first ----
  const list = accountsOf(first);
  const pageTwo = accountsOf(views.page2[0]!);
  const firstPages = [...list.items, ...pageTwo.items].slice(0, BACKLOG_ACCOUNTS).map((item) => item.id);
  const expected = backlogIds.slice(0, firstPages.length);
  const inOrder = firstPages.length === Math.min(BACKLOG_ACCOUNTS, 2 * PAGE_SIZE) && firstPages.every((id, i) => id === expected[i]);
  const badged = [...list.items, ...pageTwo.items].filter((item) => item.attention.includes('backlog') && item.counts.waiting === BACKLOG_CLOSES).length;
  checks.push(
    `attention order: the first ${fmt(firstPages.length)} accounts of pages 1 and 2 are ${inOrder ? '' : '**not** '}the ${fmt(expected.length)} backlog accounts in the order their backlogs were enqueued (the longest waiting first); ${fmt(badged)} of them show the backlog badge and ${BACKLOG_CLOSES} waiting`,
    `summary: ${fmt(list.summary.accounts)} accounts, ${fmt(list.summary.backlog)} with backlog; list total ${fmt(list.total)}, ${fmt(list.pages)} pages of ${PAGE_SIZE}`,
  );
  if (!inOrder) failures.push('the backlog accounts are not first, in the order of their backlogs');

  const found = accountsOf(views.search.at(-1)!);
  const searchBacklog = backlogIds.filter((id) => id.includes(SEARCH));
  const searchFirst = found.items.slice(0, searchBacklog.length).map((item) => item.id);
  const searchOk = found.total === ids.filter((id) => id.includes(SEARCH)).length && searchFirst.every((id, i) => id === searchBacklog[i]) && found.items.every((item) => item.id.includes(SEARCH));
  checks.push(`search "${SEARCH}": ${fmt(found.total)} matching (${fmt(found.pages)} pages), ${searchOk ? '' : '**not** '}its ${fmt(searchBacklog.length)} backlog accounts first`);
  if (!searchOk) failures.push(`the search "${SEARCH}" did not answer the matching accounts, backlog first`);
  await sleep(SPACING_MS);
  for (let i = 0; i < BACK_TO_BACK; i += 1) views.backToBack.push(await get('/console/api/accounts', { now: true }));
  console.log(`refreshes: list p50 ${fmt(median(views.list.map((s) => s.ms)), 1)} ms, ${fmt(median(views.list.map((s) => s.commands)))} Redis commands`);

  // ---- one more list refresh under MONITOR: which commands, on which keys, for which accounts ----
  await sleep(SPACING_MS);
  const monitor = await admin.monitor();
  const stopMonitor = track(async () => monitor.disconnect());
  const seen: { args: string[]; source: string }[] = [];
  monitor.on('monitor', (_time: string, args: string[], source: string) => seen.push({ args, source }));
  await sleep(200);
  const mark = seen.length;
  const watched = await get('/console/api/accounts', { now: true });
  await sleep(200);
  await stopMonitor();
  const during = seen.slice(mark);
  const shown = new Set(accountsOf(watched).items.map((item) => item.id));
  const touched = new Set<string>();
  const groups = new Map<string, number>();
  let background = 0;
  for (const { args, source } of during) {
    const name = (args[0] ?? '').toLowerCase();
    if (name === 'info') continue; // the bench's own readings
    const key = (name === 'evalsha' || name === 'eval' ? args[3] : args[1]) ?? '';
    for (const match of key.matchAll(/shop-\d{5}/g)) touched.add(match[0]);
    // The registry poll: a GET of the registry's revision, the one command of the idle API.
    if (name === 'get' && !/shop-\d{5}/.test(key) && (idle.byName['get'] ?? 0) > 0) background += 1;
    const where = source === 'lua' ? ' (inside a script)' : '';
    const pattern = `${[name, key.replace(/shop-\d{5}/g, '<account>').replace(/^[^:{]*?(?=[:{])/, '<prefix>')].filter(Boolean).join(' ')}${where}`;
    groups.set(pattern, (groups.get(pattern) ?? 0) + 1);
  }
  monitored = {
    total: [...groups.values()].reduce((sum, count) => sum + count, 0),
    background,
    shownAccounts: shown.size,
    touchedAccounts: touched.size,
    groups: [...groups].sort(([, a], [, b]) => b - a),
  };
  const offPage = [...touched].filter((id) => !shown.has(id));
  checks.push(`under MONITOR, one list refresh ran ${fmt(monitored.total)} commands (${fmt(background)} of them the registry poll) on the keys of ${fmt(touched.size)} accounts: ${offPage.length === 0 ? `only the ${fmt(shown.size)} shown` : `${fmt(offPage.length)} not on the page (${offPage.slice(0, 5).join(', ')}…)`}`);
} catch (error) {
  failures.push(errorText(error));
} finally {
  await stopAll();
}

// ---- report ---------------------------------------------------------------------------------------------------------
const machine = machineLine(loopMs);
const commit = buildOf(here('../..'));
const byCount = (counts: Record<string, number>, digits = 0) =>
  Object.entries(counts)
    .sort(([, a], [, b]) => b - a)
    .map(([name, count]) => `${name} ${fmt(count, digits)}`)
    .join(', ') || '–';

function summary(samples: Sample[]) {
  if (samples.length === 0) return undefined;
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  const server = samples.flatMap((s) => (s.serverMs === null ? [] : [s.serverMs])).sort((a, b) => a - b);
  const commands = samples.map((s) => s.commands).sort((a, b) => a - b);
  // The median sample's commands by name: what a typical refresh runs.
  const typical = samples.find((s) => s.commands === median(commands))!;
  return {
    count: samples.length,
    p50: percentile(ms, 0.5),
    p95: percentile(ms, 0.95),
    max: ms.at(-1)!,
    serverP50: server.length ? percentile(server, 0.5) : null,
    serverP95: server.length ? percentile(server, 0.95) : null,
    commandsMedian: median(commands),
    commandsMin: commands[0]!,
    commandsMax: commands.at(-1)!,
    background: median(samples.map((s) => s.background)),
    redisCpuMs: median(samples.map((s) => s.redisCpuMs)),
    byName: typical.byName,
    firstMs: samples[0]!.ms,
    firstCommands: samples[0]!.commands,
    /** The request with the most commands, when it ran more than the median one: what the extra were. */
    most: (() => {
      const top = samples.reduce((a, b) => (b.commands > a.commands ? b : a));
      if (top.commands <= median(commands)) return null;
      const extra: Record<string, number> = {};
      for (const [name, count] of Object.entries(top.byName)) if (count > (typical.byName[name] ?? 0)) extra[name] = count - (typical.byName[name] ?? 0);
      return { index: samples.indexOf(top) + 1, commands: top.commands, extra };
    })(),
  };
}
const rows: [string, Sample[]][] = [
  ['list (page 1), refresh', views.list],
  [`search \`?q=${SEARCH}\`, refresh`, views.search],
  ['page 2 (`?page=2`), refresh', views.page2],
  [`list, ${BACK_TO_BACK} back to back (within 1 s: one reading of the notable sets shared)`, views.backToBack],
];
const summaries = rows.map(([name, samples]) => ({ name, ...summary(samples) }));

const report = [
  `### Console: the accounts page with ${fmt(ACCOUNTS)} accounts, ${fmt(BACKLOG_ACCOUNTS)} of them with a backlog`,
  '',
  `Machine: ${machine} (300 million steps, see cpuLoopMs in bench/measures.ts), ${new Date().toISOString().slice(0, 10)}; build ${commit}.`,
  '',
  `API ready (startApi until its readiness answers ready): ${fmt(readyMs)} ms. Backlog: ${BACKLOG_CLOSES} closes on each of ${fmt(BACKLOG_ACCOUNTS)} accounts in ${fmt(enqueueSeconds, 1)} s.`,
  `The API alone, idle (no request), over ${IDLE_MS / 1000} s: ${fmt(idle?.perSecond, 2)} Redis commands/s (${byCount(idle?.byName ?? {}, 2)}); the "minus background" column takes that rate times each request's window out.`,
  '',
  'First render (in the order a browser asks):',
  '',
  '| request | wall ms | server ms | Redis commands | minus background | Redis CPU ms | commands by name |',
  '|---|---|---|---|---|---|---|',
  ...firstRender.map(
    ({ name, sample: s }) => `| ${[name, fmt(s.ms, 1), fmt(s.serverMs, 1), fmt(s.commands), fmt(Math.max(0, s.commands - s.background), 1), fmt(s.redisCpuMs, 1), byCount(s.byName)].join(' | ')} |`,
  ),
  `| **first render, total** | ${fmt(firstRender.reduce((sum, { sample }) => sum + sample.ms, 0), 1)} | | ${fmt(firstRender.reduce((sum, { sample }) => sum + sample.commands, 0))} | | | |`,
  '',
  `Refreshes (${REFRESHES} of each view, interleaved, each request ${fmt(SPACING_MS)} ms after the previous one ended, so each reads the notable sets afresh as a tab refreshing every 3 s does):`,
  '',
  '| view | requests | first: wall ms, commands | wall p50 / p95 / max ms | server p50 / p95 ms | Redis commands per request, median (min–max) | minus background | Redis CPU ms, median | a median request\'s commands by name | the request with most commands: what it ran more |',
  '|---|---|---|---|---|---|---|---|---|---|',
  ...summaries.map((s) =>
    s.count === undefined
      ? `| ${s.name} | 0 | | | | | | | | |`
      : `| ${[
          s.name,
          fmt(s.count),
          `${fmt(s.firstMs, 1)}, ${fmt(s.firstCommands)}`,
          `${fmt(s.p50, 1)} / ${fmt(s.p95, 1)} / ${fmt(s.max, 1)}`,
          `${fmt(s.serverP50, 1)} / ${fmt(s.serverP95, 1)}`,
          `${fmt(s.commandsMedian)} (${fmt(s.commandsMin)}–${fmt(s.commandsMax)})`,
          fmt(Math.max(0, s.commandsMedian! - s.background!), 1),
          fmt(s.redisCpuMs, 2),
          byCount(s.byName!),
          s.most ? `#${s.most.index}: ${fmt(s.most.commands)}, ${byCount(s.most.extra)}` : '–',
        ].join(' | ')} |`,
  ),
  '',
  ...(monitored
    ? [
        `One more list refresh under MONITOR (not timed): ${fmt(monitored.total)} commands, by command and first key (account ids as \`<account>\`; "inside a script": run by a Lua script, also counted above):`,
        '',
        '| command and key | count |',
        '|---|---|',
        ...monitored.groups.map(([pattern, count]) => `| \`${pattern.replace(/\|/g, '\\|')}\` | ${fmt(count)} |`),
        '',
      ]
    : []),
  ...checks.map((check) => `- ${check}`),
  ...failures.map((failure) => `- **failed**: ${failure}`),
].join('\n');
console.log(`\n${report}`);
writeFileSync(
  here('./console.json'),
  `${JSON.stringify({ date: new Date().toISOString(), machine, cpuLoopMs: loopMs, build: commit, accounts: ACCOUNTS, backlogAccounts: BACKLOG_ACCOUNTS, readyMs, idle, firstRender: firstRender.map(({ name, sample: { body: _body, ...rest } }) => ({ name, ...rest })), summaries, monitored, checks, failures, report }, null, 2)}\n`,
);
if (failures.length > 0) {
  console.error(`\n${failures.length} failure(s): see the report`);
  process.exitCode = 1;
}
process.exit();
