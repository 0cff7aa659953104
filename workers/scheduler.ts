// Scheduler process: keeps each auto-closing account's BullMQ job scheduler. Any number may run; sweeps happen once per interval.
import { loadConfig } from '../src/config/load-config.js';
import { createLogger } from '../src/logger.js';
import { runSchedulerProcess } from '../src/runtime/processes.js';
import { exitOnStartupError } from '../src/runtime/startup-error.js';

try {
  const config = loadConfig(process.env);
  await runSchedulerProcess(config, createLogger({ level: config.logLevel, name: 'closer-scheduler' }));
} catch (error) {
  exitOnStartupError(error);
}
