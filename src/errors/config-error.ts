import { AppError } from './app-error.js';

/** Invalid configuration: one error that lists every problem, each naming its variable or file field. */
export class ConfigError extends AppError {
  readonly code = 'CONFIG_INVALID';

  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}
