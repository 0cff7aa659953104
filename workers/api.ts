// API process: the HTTP API (contract section 4). Stateless; run as many as needed behind a balancer.
import { loadConfig } from '../src/config/load-config.js';
import { createLogger } from '../src/logger.js';
import { runApiProcess } from '../src/runtime/processes.js';
import { exitOnStartupError } from '../src/runtime/startup-error.js';

try {
  const config = loadConfig(process.env);
  await runApiProcess(config, createLogger({ level: config.logLevel, name: 'closer-api' }));
} catch (error) {
  exitOnStartupError(error);
}
