import { pino, stdSerializers, type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { LogLevel } from './config/types.js';

export type { Logger };

/** Field names that hold credentials anywhere in a logged object. */
const SECRET_FIELDS = ['authorization', 'api_access_token', 'apiKey', 'apiToken', 'apiAccessToken', 'token', 'password'];
const REDACT_PATHS = [...SECRET_FIELDS, ...SECRET_FIELDS.map((field) => `*.${field}`), ...SECRET_FIELDS.map((field) => `*.*.${field}`)];

/** Credentials inside free text: tokens in URL queries, bearer tokens, user:password in URLs. */
const IN_TEXT: [RegExp, string][] = [
  [/([?&](?:api_access_token|access_token|token|api_key|apikey|key|password|secret)=)[^&#\s"']+/gi, '$1[redacted]'],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g, '$1 [redacted]'],
  [/(\/\/)[^/\s:@]+:[^/\s@]+@/g, '$1[redacted]@'],
];

export function scrubSecrets(text: string): string {
  return IN_TEXT.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), text);
}

export interface LoggerOptions {
  level: LogLevel;
  /** Where lines go; tests pass a stream to read them back. Default: stdout, pretty when it is a terminal. */
  destination?: DestinationStream;
  name?: string;
}

/**
 * pino JSON lines. Credentials are redacted by field name wherever they sit,
 * and scrubbed from messages and errors (tokens in URLs, bearer headers).
 * Provider errors never carry credentials in the first place; this is the
 * second line of defence for whatever else gets logged.
 */
export function createLogger({ level, destination, name = 'closer' }: LoggerOptions): Logger {
  const options = {
    name,
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      err: (error: Error) => {
        const serialized = stdSerializers.err(error);
        return { ...serialized, message: scrubSecrets(serialized.message ?? ''), stack: scrubSecrets(serialized.stack ?? '') };
      },
    },
    hooks: {
      logMethod(this: Logger, args: unknown[], method: (...args: unknown[]) => void) {
        method.apply(this, args.map((arg) => (typeof arg === 'string' ? scrubSecrets(arg) : arg)));
      },
    },
  };
  if (destination) return pino(options, destination);
  if (process.stdout.isTTY) return pino(options, pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }));
  return pino(options);
}
