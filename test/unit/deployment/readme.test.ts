import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { accountVariables, GENERAL_VARIABLES } from '../../../src/config/index.js';
import type { AccountControl } from '../../../src/accounts/account-control.js';
import type { NotableAccounts } from '../../../src/accounts/notable-accounts.js';
import { createMetrics } from '../../../src/metrics/metrics.js';
import { registerQueueGauges } from '../../../src/metrics/queue-gauges.js';
import type { AccountQueues } from '../../../src/queues/account-queues.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('starts with the two commands: run the service, run the tests', () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)![1]!;
    expect(firstBlock.split('\n').filter(Boolean).map((line) => line.split('#')[0]!.trim())).toEqual(['npm ci && npm start', 'npm test']);
  });

  it('documents every configuration variable', () => {
    const documented = (name: string) => readme.includes(`\`${name}\``) || readme.includes(`\`<PROVIDER>_${name.replace(/^(PEACH|CALLBELL|CHATWOOT)_/, '')}\``);
    expect([...GENERAL_VARIABLES, ...accountVariables()].filter((name) => !documented(name))).toEqual([]);
  });

  it('documents every metric series', async () => {
    const metrics = createMetrics({ processMetrics: false });
    // No accounts: the Redis-backed gauges register without reading anything.
    registerQueueGauges(metrics, { get: () => undefined } as unknown as AccountQueues, {} as AccountControl, { list: async () => [] } as unknown as NotableAccounts);
    const names = (await metrics.registry.getMetricsAsJSON()).map((metric) => metric.name);
    expect(names).toContain('closer_jobs');
    expect(names.filter((name) => !readme.includes(`\`${name}\``))).toEqual([]);
  });
});
