import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const CLI = new URL('../../dist/src/cli/main.js', import.meta.url).pathname;
const run = promisify(execFile);

/** Runs the built CLI with this environment; resolves with its exit code and output, whatever the code. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { ...env, LOG_LEVEL: 'silent' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}
