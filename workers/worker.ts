// Worker process: runs every configured account's queue. Scale by starting more of them.
import { loadConfig } from '../src/config/load-config.js';
import { createLogger } from '../src/logger.js';
import { runWorkerProcess } from '../src/runtime/processes.js';
import { exitOnStartupError } from '../src/runtime/startup-error.js';

try {
  const config = loadConfig(process.env);
  await runWorkerProcess(config, createLogger({ level: config.logLevel, name: 'closer-worker' }));
} catch (error) {
  exitOnStartupError(error);
}
