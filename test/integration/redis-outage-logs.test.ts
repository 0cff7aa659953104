import { describe, expect, it } from '@jest/globals';
import { createLogger } from '../../src/logger.js';
import { startWorkers } from '../../src/runtime/start-workers.js';
import { peachAccount } from '../helpers/accounts.js';
import { startRedis } from '../helpers/redis-server.js';
import { testConfig, waitUntil } from '../helpers/test-config.js';

describe('a worker process that loses Redis', () => {
  it('logs one line when the connection goes and one when it is back, not one per reconnection attempt', async () => {
    const server = await startRedis();
    const lines: { level: number; msg: string; redis?: string }[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (text: string) => void lines.push(JSON.parse(text)) } });
    const config = testConfig(server.url, [peachAccount('http://127.0.0.1:9', 'k', 'one'), peachAccount('http://127.0.0.1:9', 'k', 'two')]);
    const workers = await startWorkers(config, logger);
    try {
      await waitUntil(async () => (await workers.readiness()).ready, { what: 'ready' });
      lines.length = 0;
      // Several reconnection attempts of the worker side's connection.
      let attempts = 0;
      workers.connection().on('reconnecting', () => (attempts += 1));
      await server.stop({ keepData: true });
      await waitUntil(() => attempts >= 4, { what: 'four reconnection attempts' });

      await server.restart();
      await waitUntil(async () => (await workers.readiness()).ready, { timeoutMs: 30_000, what: 'ready again' });
      await waitUntil(() => lines.some((line) => line.msg === 'redis connection restored'), { what: 'the restored line' });

      const noisy = lines.filter((line) => line.level >= 40 && line.msg !== 'redis connection lost; reconnecting quietly until it is back');
      expect(noisy).toEqual([]);
      expect(lines.filter((line) => line.msg === 'redis connection lost; reconnecting quietly until it is back')).toHaveLength(1);
      expect(lines.filter((line) => line.msg === 'redis connection restored')).toHaveLength(1);
    } finally {
      await workers.close();
      await server.stop();
    }
    // Its steps have their own budgets (20 s + 30 s + 20 s): a step that overruns names itself instead of jest's blanket timeout.
  }, 120_000);
});
