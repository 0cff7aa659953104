import { AppError } from '../errors/app-error.js';

/** Redis did not answer when a process or command started: say what was tried and how to get one, no stack trace. */
export class RedisUnreachableError extends AppError {
  readonly code = 'REDIS_UNREACHABLE';

  constructor(where: string, reason: string, note?: string) {
    super(
      [
        `closer cannot reach Redis at ${where}: ${reason}.`,
        ...(note ? [note] : []),
        'Start Redis there, or point REDIS_URL at one:',
        '  - Debian or Ubuntu: sudo apt-get install redis-server (it starts on 127.0.0.1:6379); macOS: brew install redis && brew services start redis',
        '  - Docker: docker compose up -d redis (docker-compose.yml in closer\'s repository)',
        '  - elsewhere: REDIS_URL=redis://<host>:6379 (rediss:// for TLS, redis://:<password>@<host>:6379 with a password)',
      ].join('\n'),
    );
  }
}
