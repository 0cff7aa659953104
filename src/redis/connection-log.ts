import type { RedisClient } from './create-redis.js';
import type { Logger } from '../logger.js';

/**
 * Logs a connection's state changes, one line each: lost (with the reason),
 * back. ioredis retries every second or two while Redis is down and reports
 * every failed attempt as an error; one line per attempt buried the logs
 * (hundreds of stack traces a minute), so attempts stay quiet.
 */
export function logConnectionState(redis: RedisClient, logger: Logger, name: string): void {
  let down = false;
  const lost = (reason: string) => {
    if (down) return;
    down = true;
    logger.warn({ redis: name, reason }, 'redis connection lost; reconnecting quietly until it is back');
  };
  redis.on('error', (error: Error) => lost(error.message));
  redis.on('close', () => {
    if (redis.status !== 'end') lost('connection closed');
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    logger.info({ redis: name }, 'redis connection restored');
  });
}
