import type { Logger } from '../logger.js';
import type { RedisClient } from '../redis/create-redis.js';
import { LEGACY_PREFIX, legacyKeysPresent } from './migrate-keys.js';

/**
 * After an upgrade from the single-slot layout, the old keys hold jobs that
 * no process of this version takes: say so at start-up, loudly, with the fix.
 * Never stops the process (Redis may be slow to answer; a warning is enough).
 */
export async function warnOfLegacyKeys(redis: RedisClient, accountIds: readonly string[], logger: Logger): Promise<void> {
  try {
    if (await legacyKeysPresent(redis, accountIds)) {
      logger.error(
        { legacyPrefix: LEGACY_PREFIX },
        `keys of the layout before per-account hash tags (${LEGACY_PREFIX}:...) are in Redis: their jobs, batches and dead letters are not served. Stop every closer process and run: closer migrate-keys --from '${LEGACY_PREFIX}'`,
      );
    }
  } catch (error) {
    logger.debug({ err: error }, 'could not look for keys of the old layout');
  }
}
