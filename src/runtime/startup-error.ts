import { ConfigError } from '../errors/config-error.js';
import { RedisUnreachableError } from '../redis/redis-unreachable-error.js';

/** Start-up failed: say why on stderr and exit non-zero; 2 for what the operator must fix (configuration, Redis), without a stack trace. */
export function exitOnStartupError(error: unknown): never {
  if (error instanceof ConfigError || error instanceof RedisUnreachableError) {
    console.error(error.message);
    process.exit(2);
  }
  console.error('closer failed to start:', error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
}
