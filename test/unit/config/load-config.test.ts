import { describe, expect, it } from '@jest/globals';
import { loadConfig, type LoadConfigOptions } from '../../../src/config/index.js';
import { ConfigError } from '../../../src/errors/index.js';

/** Files live in memory: the loader takes its reader as an argument. */
const files = (entries: Record<string, string>): LoadConfigOptions => ({
  cwd: '/etc/closer',
  readFile: (path) => {
    const text = entries[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return text;
  },
});

const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('CONFIG_INVALID');
    return [...(error as ConfigError).problems];
  }
  throw new Error('expected a ConfigError');
};

describe('loadConfig: general settings', () => {
  it('has working defaults and no accounts on an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      redisUrl: 'redis://127.0.0.1:6379',
      port: 3000,
      apiToken: undefined,
      logLevel: 'info',
      queuePrefix: 'closer',
      enqueueReplicas: 0,
      jobs: {
        attempts: 8,
        backoffDelayMs: 1_000,
        backoffMaxMs: 300_000,
        httpTimeoutMs: 10_000,
        concurrency: 20,
        accountConcurrency: 10,
        unauthorizedPauseAfter: 3,
        lockDurationMs: 30_000,
        reconcileEveryMs: 30_000,
      },
      accounts: [],
    });
  });

  it('reads every general variable', () => {
    const config = loadConfig({
      REDIS_URL: 'redis://redis:6380/2',
      PORT: '8080',
      CLOSER_API_TOKEN: 'secret-token',
      LOG_LEVEL: 'DEBUG',
      CLOSER_QUEUE_PREFIX: 'acme',
      CLOSER_ENQUEUE_REPLICAS: '1',
      CLOSER_MAX_ATTEMPTS: '3',
      CLOSER_BACKOFF_DELAY: '500ms',
      CLOSER_BACKOFF_MAX: '1m',
      CLOSER_HTTP_TIMEOUT: '2s',
      CLOSER_WORKER_CONCURRENCY: '4',
      CLOSER_ACCOUNT_CONCURRENCY: '2',
      CLOSER_UNAUTHORIZED_PAUSE_AFTER: '5',
      CLOSER_LOCK_DURATION: '5s',
      CLOSER_RECONCILE_EVERY: '1m',
    });
    expect(config).toMatchObject({
      redisUrl: 'redis://redis:6380/2',
      port: 8080,
      apiToken: 'secret-token',
      logLevel: 'debug',
      queuePrefix: 'acme',
      enqueueReplicas: 1,
      jobs: {
        attempts: 3,
        backoffDelayMs: 500,
        backoffMaxMs: 60_000,
        httpTimeoutMs: 2_000,
        concurrency: 4,
        accountConcurrency: 2,
        unauthorizedPauseAfter: 5,
        lockDurationMs: 5_000,
        reconcileEveryMs: 60_000,
      },
    });
  });

  it('lists every bad general variable in one error', () => {
    const problems = problemsOf(() =>
      loadConfig({
        REDIS_URL: 'http://localhost',
        PORT: '70000',
        LOG_LEVEL: 'loud',
        CLOSER_QUEUE_PREFIX: 'closer:',
        CLOSER_MAX_ATTEMPTS: 'many',
        CLOSER_BACKOFF_DELAY: '10m',
        CLOSER_BACKOFF_MAX: '1m',
        CLOSER_HTTP_TIMEOUT: 'soon',
      }),
    );
    expect(problems.map((p) => p.split(':')[0])).toEqual([
      'PORT',
      'REDIS_URL',
      'LOG_LEVEL',
      'CLOSER_QUEUE_PREFIX',
      'CLOSER_MAX_ATTEMPTS',
      'CLOSER_HTTP_TIMEOUT',
      'CLOSER_BACKOFF_MAX',
    ]);
  });

  it('reads a Redis Cluster from REDIS_CLUSTER_NODES, credentials and TLS from a URL among them', () => {
    expect(loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, 10.0.0.2:7001' }).redisCluster).toEqual({
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
      ],
      tls: false,
    });
    expect(loadConfig({ REDIS_CLUSTER_NODES: 'rediss://app:s%40cret@redis-1:6380,redis-2:6380' }).redisCluster).toEqual({
      nodes: [
        { host: 'redis-1', port: 6380 },
        { host: 'redis-2', port: 6380 },
      ],
      username: 'app',
      password: 's@cret',
      tls: true,
    });
    expect(loadConfig({}).redisCluster).toBeUndefined();
  });

  it('names a bad cluster node without showing its password', () => {
    const problems = problemsOf(() => loadConfig({ REDIS_CLUSTER_NODES: 'redis://:hunter2@redis-1,redis-2:7000' }));
    expect(problems).toEqual(['REDIS_CLUSTER_NODES: "redis://***@redis-1" is not host:port']);
    expect(problemsOf(() => loadConfig({ REDIS_CLUSTER_NODES: ' , ' }))).toEqual(['REDIS_CLUSTER_NODES: must list at least one seed node as host:port']);
  });

  it('refuses the hash-tagged prefix of the single-slot layout, and says how to move its keys', () => {
    const problems = problemsOf(() => loadConfig({ CLOSER_QUEUE_PREFIX: '{closer}' }));
    expect(problems).toEqual([expect.stringContaining("CLOSER_QUEUE_PREFIX: {closer} is the layout before accounts had hash tags of their own; set a plain name such as closer, and move existing keys with: closer migrate-keys --from '{closer}'")]);
  });

  it('returns a frozen object', () => {
    const config = loadConfig({ PEACH_API_KEY: 'k' });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.accounts[0])).toBe(true);
    expect(Object.isFrozen(config.accounts[0]!.rateLimit)).toBe(true);
  });

  it('puts every problem into the error message, one per line', () => {
    let message = '';
    try {
      loadConfig({ PORT: 'x', LOG_LEVEL: 'y' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^Invalid configuration \(2 problems\):\n {2}- PORT: .*\n {2}- LOG_LEVEL: /);
  });
});

describe('loadConfig: environment shortcuts', () => {
  it('defines one account per provider with the documented defaults', () => {
    const config = loadConfig({
      PEACH_API_KEY: 'peach-key',
      CALLBELL_API_TOKEN: 'callbell-token',
      CHATWOOT_BASE_URL: 'https://chat.example.com',
      CHATWOOT_API_ACCESS_TOKEN: 'cw-token',
      CHATWOOT_ACCOUNT_ID: '7',
      CHATWOOT_INBOX_IDENTIFIER: 'inbox-abc',
    });
    expect(config.accounts).toEqual([
      { id: 'peach', provider: 'peach', apiKey: 'peach-key', baseUrl: 'https://app.trypeach.io', rateLimit: { max: 5, windowMs: 1_000, text: '5/s' } },
      {
        id: 'callbell',
        provider: 'callbell',
        apiToken: 'callbell-token',
        baseUrl: 'https://api.callbell.eu/v1',
        rateLimit: { max: 250, windowMs: 1_000, text: '250/s' },
      },
      {
        id: 'chatwoot',
        provider: 'chatwoot',
        baseUrl: 'https://chat.example.com',
        apiAccessToken: 'cw-token',
        accountId: 7,
        inboxIdentifier: 'inbox-abc',
        rateLimit: { max: 40, windowMs: 1_000, text: '40/s' },
      },
    ]);
  });

  it('reads base URLs, rates and auto-close settings', () => {
    const config = loadConfig({
      PEACH_API_KEY: 'k',
      PEACH_BASE_URL: 'https://app.trypeach.ai',
      PEACH_RATE_LIMIT: '3000/60s',
      PEACH_AUTO_CLOSE_IDLE_AFTER: '24h',
      PEACH_AUTO_CLOSE_EVERY: '10m',
      PEACH_AUTO_CLOSE_MAX_PER_RUN: '50',
      PEACH_AUTO_CLOSE_DRY_RUN: 'true',
      CALLBELL_API_TOKEN: 't',
      CALLBELL_AUTO_CLOSE_IDLE_AFTER: '2h',
    });
    expect(config.accounts[0]).toMatchObject({
      baseUrl: 'https://app.trypeach.ai',
      rateLimit: { max: 3_000, windowMs: 60_000 },
      autoClose: { idleAfterMs: 86_400_000, everyMs: 600_000, maxPerRun: 50, dryRun: true, skipWaiting: false },
    });
    expect(config.accounts[1]).toMatchObject({ autoClose: { idleAfterMs: 7_200_000, everyMs: 300_000, maxPerRun: 500, dryRun: false } });
  });

  it('treats empty variables as unset, as a copied .env.example leaves them', () => {
    expect(loadConfig({ PEACH_API_KEY: '', PEACH_RATE_LIMIT: ' ', CHATWOOT_BASE_URL: '' }).accounts).toEqual([]);
  });

  it('names the missing credential when other variables of a provider are set', () => {
    expect(problemsOf(() => loadConfig({ PEACH_RATE_LIMIT: '5/s', CALLBELL_BASE_URL: 'https://x.test/v1', CHATWOOT_ACCOUNT_ID: '3' }))).toEqual([
      expect.stringMatching(/^PEACH_RATE_LIMIT is set, but PEACH_API_KEY is not/),
      expect.stringMatching(/^CALLBELL_BASE_URL is set, but CALLBELL_API_TOKEN is not/),
      expect.stringMatching(/^CHATWOOT_ACCOUNT_ID is set, but CHATWOOT_BASE_URL is not/),
    ]);
  });

  it('requires the Chatwoot token and account id together', () => {
    expect(problemsOf(() => loadConfig({ CHATWOOT_BASE_URL: 'https://c.test', CHATWOOT_API_ACCESS_TOKEN: 't' }))).toEqual([
      expect.stringMatching(/^CHATWOOT_ACCOUNT_ID: is required with the application-API token/),
    ]);
    expect(problemsOf(() => loadConfig({ CHATWOOT_BASE_URL: 'https://c.test', CHATWOOT_ACCOUNT_ID: '1' }))).toEqual([
      expect.stringMatching(/^CHATWOOT_API_ACCESS_TOKEN: is required with the application-API account id/),
    ]);
  });

  it('accepts a public-API-only Chatwoot account', () => {
    expect(loadConfig({ CHATWOOT_BASE_URL: 'https://pembalasan.test', CHATWOOT_INBOX_IDENTIFIER: 'inbox' }).accounts[0]).toEqual({
      id: 'chatwoot',
      provider: 'chatwoot',
      baseUrl: 'https://pembalasan.test',
      inboxIdentifier: 'inbox',
      rateLimit: { max: 40, windowMs: 1_000, text: '40/s' },
    });
  });

  it('refuses auto-close on a Chatwoot account that cannot list conversations', () => {
    expect(problemsOf(() => loadConfig({ CHATWOOT_BASE_URL: 'https://c.test', CHATWOOT_AUTO_CLOSE_IDLE_AFTER: '1h' }))).toEqual([
      expect.stringMatching(/^CHATWOOT_AUTO_CLOSE_IDLE_AFTER: auto-close must list the account's conversations.*application API/),
    ]);
  });

  it('names each bad variable', () => {
    const problems = problemsOf(() =>
      loadConfig({
        PEACH_API_KEY: 'k',
        PEACH_BASE_URL: 'ftp://peach',
        PEACH_RATE_LIMIT: '5 per second',
        CALLBELL_API_TOKEN: 't',
        CALLBELL_AUTO_CLOSE_IDLE_AFTER: 'a day',
        CHATWOOT_BASE_URL: 'https://c.test',
        CHATWOOT_API_ACCESS_TOKEN: 't',
        CHATWOOT_ACCOUNT_ID: 'seven',
        CHATWOOT_AUTO_CLOSE_IDLE_AFTER: '1h',
        CHATWOOT_AUTO_CLOSE_DRY_RUN: 'maybe',
      }),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^PEACH_BASE_URL: must be an http\(s\) URL/),
      expect.stringMatching(/^PEACH_RATE_LIMIT: "5 per second" is not a rate; use <count>\/<window>/),
      expect.stringMatching(/^CALLBELL_AUTO_CLOSE_IDLE_AFTER: "a day" is not a duration/),
      'CHATWOOT_ACCOUNT_ID: must be a whole number',
      'CHATWOOT_AUTO_CLOSE_DRY_RUN: must be true or false',
    ]);
  });

  it('needs IDLE_AFTER to turn auto-close on', () => {
    expect(problemsOf(() => loadConfig({ PEACH_API_KEY: 'k', PEACH_AUTO_CLOSE_EVERY: '5m' }))).toEqual([
      'PEACH_AUTO_CLOSE_EVERY set without PEACH_AUTO_CLOSE_IDLE_AFTER, which turns auto-close on',
    ]);
  });

  it('offers skip-waiting only where Chatwoot can tell', () => {
    expect(
      loadConfig({
        CHATWOOT_BASE_URL: 'https://c.test',
        CHATWOOT_API_ACCESS_TOKEN: 't',
        CHATWOOT_ACCOUNT_ID: '1',
        CHATWOOT_AUTO_CLOSE_IDLE_AFTER: '1h',
        CHATWOOT_AUTO_CLOSE_SKIP_WAITING: 'yes',
      }).accounts[0]?.autoClose?.skipWaiting,
    ).toBe(true);
  });
});

describe('loadConfig: accounts file', () => {
  const yaml = `
accounts:
  - id: peach-id
    provider: peach
    apiKey: \${PEACH_ID_KEY}
    rateLimit: 100/500ms
  - id: callbell-br
    provider: callbell
    apiToken: "\${CB_TOKEN}"
    baseUrl: https://\${CB_HOST}/v1
  - id: pembalasan
    provider: chatwoot
    baseUrl: https://app.pembalasan.test
    apiAccessToken: \${PB_TOKEN}
    accountId: 12
    inboxIdentifier: inbox-1
    rateLimit: 3000/1m
    autoClose: { idleAfter: 24h, every: 15m, maxPerRun: 100, dryRun: true, skipWaiting: true }
`;
  const env = { CLOSER_ACCOUNTS_FILE: 'accounts.yaml', PEACH_ID_KEY: 'pk', CB_TOKEN: 'cb', CB_HOST: 'api.callbell.test', PB_TOKEN: 'pb' };

  it('reads YAML with ${VAR} substitution, relative to the working directory', () => {
    const config = loadConfig(env, files({ '/etc/closer/accounts.yaml': yaml }));
    expect(config.accounts).toEqual([
      { id: 'peach-id', provider: 'peach', apiKey: 'pk', baseUrl: 'https://app.trypeach.io', rateLimit: { max: 100, windowMs: 500, text: '100/500ms' } },
      {
        id: 'callbell-br',
        provider: 'callbell',
        apiToken: 'cb',
        baseUrl: 'https://api.callbell.test/v1',
        rateLimit: { max: 250, windowMs: 1_000, text: '250/s' },
      },
      {
        id: 'pembalasan',
        provider: 'chatwoot',
        baseUrl: 'https://app.pembalasan.test',
        apiAccessToken: 'pb',
        accountId: 12,
        inboxIdentifier: 'inbox-1',
        rateLimit: { max: 3_000, windowMs: 60_000, text: '3000/1m' },
        autoClose: { idleAfterMs: 86_400_000, everyMs: 900_000, maxPerRun: 100, dryRun: true, skipWaiting: true },
      },
    ]);
  });

  it('reads a JSON list', () => {
    const json = JSON.stringify([{ id: 'a', provider: 'callbell', apiToken: '${T}' }]);
    const config = loadConfig({ CLOSER_ACCOUNTS_FILE: '/srv/accounts.json', T: 'tok' }, files({ '/srv/accounts.json': json }));
    expect(config.accounts.map((a) => [a.id, a.provider, 'apiToken' in a && a.apiToken])).toEqual([['a', 'callbell', 'tok']]);
  });

  it('adds file accounts to the environment shortcuts', () => {
    const config = loadConfig({ ...env, PEACH_API_KEY: 'k' }, files({ '/etc/closer/accounts.yaml': yaml }));
    expect(config.accounts.map((a) => a.id)).toEqual(['peach', 'peach-id', 'callbell-br', 'pembalasan']);
  });

  it('lists every problem of every account, naming file and field', () => {
    const bad = `
- id: ok-one
  provider: peach
  apiKey: k
- id: Bad Id
  provider: whatsapp
- id: ok-one
  provider: callbell
  apiToken: t
- id: two
  provider: peach
  rateLimit: 5 a second
  colour: blue
- id: three
  provider: callbell
  apiToken: \${MISSING_TOKEN}
- id: four
  provider: chatwoot
  baseUrl: https://c.test
  autoClose: { idleAfter: 1h }
- id: five
  provider: callbell
  apiToken: t
  autoClose: { idleAfter: soon, maxPerRun: 0, skipWaiting: true }
- just a string
`;
    const problems = problemsOf(() => loadConfig({ CLOSER_ACCOUNTS_FILE: 'a.yml' }, files({ '/etc/closer/a.yml': bad })));
    const where = 'CLOSER_ACCOUNTS_FILE (a.yml): ';
    expect(problems).toEqual([
      expect.stringMatching(/^CLOSER_ACCOUNTS_FILE \(a\.yml\): accounts\[1\]\.id: must be 1-63 characters/),
      `${where}accounts[1].provider: "whatsapp" is not a known provider; expected one of peach, callbell, chatwoot`,
      `${where}accounts[3].rateLimit: "5 a second" is not a rate; use <count>/<window>, e.g. 5/s, 300/1s, 3000/60s, 100/500ms, 1000/1m`,
      `${where}accounts[3].apiKey: is required`,
      `${where}accounts[3]: Unrecognized key: "colour"`,
      `${where}accounts[4].apiToken: refers to \${MISSING_TOKEN}, but the environment variable MISSING_TOKEN is not set`,
      expect.stringMatching(/^CLOSER_ACCOUNTS_FILE \(a\.yml\): accounts\[5\]\.autoClose: auto-close must list/),
      expect.stringMatching(/^CLOSER_ACCOUNTS_FILE \(a\.yml\): accounts\[6\]\.autoClose\.idleAfter: "soon" is not a duration/),
      expect.stringMatching(/^CLOSER_ACCOUNTS_FILE \(a\.yml\): accounts\[6\]\.autoClose\.maxPerRun: /),
      `${where}accounts[6].autoClose.skipWaiting: is supported only for chatwoot accounts`,
      `${where}accounts[7]: must be an object`,
      `${where}accounts[2].id: account id "ok-one" is already defined by CLOSER_ACCOUNTS_FILE (a.yml): accounts[0].id`,
    ]);
  });

  it('reports every problem of one account at once, not one layer at a time', () => {
    const bad = `
- id: Bad Id
  provider: callbell
  apiToken: \${MISSING_TOKEN}
  baseUrl: \${MISSING_URL}
  colour: blue
  rateLimit: fast
- id: also bad
  provider: whatsapp
  rateLimit: 5 a second
  colour: red
`;
    const problems = problemsOf(() => loadConfig({ CLOSER_ACCOUNTS_FILE: 'a.yml' }, files({ '/etc/closer/a.yml': bad })));
    const where = 'CLOSER_ACCOUNTS_FILE (a.yml): ';
    expect(problems).toEqual([
      `${where}accounts[0].apiToken: refers to \${MISSING_TOKEN}, but the environment variable MISSING_TOKEN is not set`,
      `${where}accounts[0].baseUrl: refers to \${MISSING_URL}, but the environment variable MISSING_URL is not set`,
      expect.stringMatching(/^CLOSER_ACCOUNTS_FILE \(a\.yml\): accounts\[0\]\.id: must be 1-63 characters/),
      expect.stringMatching(/^CLOSER_ACCOUNTS_FILE \(a\.yml\): accounts\[0\]\.rateLimit: "fast" is not a rate/),
      `${where}accounts[0]: Unrecognized key: "colour"`,
      expect.stringMatching(/^CLOSER_ACCOUNTS_FILE \(a\.yml\): accounts\[1\]\.id: must be 1-63 characters/),
      expect.stringMatching(/^CLOSER_ACCOUNTS_FILE \(a\.yml\): accounts\[1\]\.rateLimit: "5 a second" is not a rate/),
      `${where}accounts[1].provider: "whatsapp" is not a known provider; expected one of peach, callbell, chatwoot`,
      `${where}accounts[1]: Unrecognized key: "colour"`,
    ]);
  });

  it('reports a bad account id with the rule', () => {
    const problems = problemsOf(() =>
      loadConfig({ CLOSER_ACCOUNTS_FILE: 'a.json' }, files({ '/etc/closer/a.json': '[{"id":"has:colon","provider":"peach","apiKey":"k"}]' })),
    );
    expect(problems).toEqual([expect.stringMatching(/accounts\[0\]\.id: must be 1-63 characters of a-z/)]);
  });

  it('rejects skipWaiting outside Chatwoot', () => {
    const problems = problemsOf(() =>
      loadConfig(
        { CLOSER_ACCOUNTS_FILE: 'a.json' },
        files({ '/etc/closer/a.json': '[{"id":"p","provider":"peach","apiKey":"k","autoClose":{"idleAfter":"1h","skipWaiting":true}}]' }),
      ),
    );
    expect(problems).toEqual(['CLOSER_ACCOUNTS_FILE (a.json): accounts[0].autoClose.skipWaiting: is supported only for chatwoot accounts']);
  });

  it('rejects an id already taken by an environment shortcut', () => {
    const problems = problemsOf(() =>
      loadConfig(
        { PEACH_API_KEY: 'k', CLOSER_ACCOUNTS_FILE: 'a.json' },
        files({ '/etc/closer/a.json': '{"accounts":[{"id":"peach","provider":"peach","apiKey":"k2"}]}' }),
      ),
    );
    expect(problems).toEqual([
      'CLOSER_ACCOUNTS_FILE (a.json): accounts[0].id: account id "peach" is already defined by the PEACH_* environment variables',
    ]);
  });

  it.each([
    ['missing.yaml', {}, /^CLOSER_ACCOUNTS_FILE \(missing\.yaml\): cannot be read: no such file$/],
    ['a.json', { '/etc/closer/a.json': '{"accounts": [' }, /^CLOSER_ACCOUNTS_FILE \(a\.json\): is not valid JSON/],
    ['a.yaml', { '/etc/closer/a.yaml': 'accounts: [\n  - id: x\n    provider: : :' }, /^CLOSER_ACCOUNTS_FILE \(a\.yaml\): is not valid YAML/],
    ['a.yaml', { '/etc/closer/a.yaml': 'accounts: 5' }, /must be a list of accounts/],
    ['a.yaml', { '/etc/closer/a.yaml': '' }, /must be a list of accounts/],
  ])('explains an unusable file %s', (name, contents, pattern) => {
    expect(problemsOf(() => loadConfig({ CLOSER_ACCOUNTS_FILE: name }, files(contents)))).toEqual([expect.stringMatching(pattern)]);
  });

  it('never echoes a secret substituted into the file', () => {
    const problems = problemsOf(() =>
      loadConfig(
        { CLOSER_ACCOUNTS_FILE: 'a.json', TOKEN: 'super-secret-value' },
        files({ '/etc/closer/a.json': '[{"id":"c","provider":"chatwoot","baseUrl":"https://x.test","apiAccessToken":"${TOKEN}","accountId":"${TOKEN}"}]' }),
      ),
    );
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join('\n')).not.toContain('super-secret-value');
  });
});
