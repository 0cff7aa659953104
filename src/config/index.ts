export { loadConfig, GENERAL_VARIABLES, type LoadConfigOptions } from './load-config.js';
export { accountVariables } from './env-accounts.js';
export { parseDuration, formatDuration } from './duration.js';
export { parseRate, type RateLimit } from './rate.js';
export * from './types.js';
