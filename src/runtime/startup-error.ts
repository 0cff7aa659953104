import { ConfigError } from '../errors/config-error.js';

/** Start-up failed: say why on stderr (one message listing every config problem) and exit non-zero. */
export function exitOnStartupError(error: unknown): never {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  console.error('closer failed to start:', error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
}
