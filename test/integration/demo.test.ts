import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { freePort } from '../helpers/redis-server.js';

const CLI = new URL('../../dist/src/cli/main.js', import.meta.url).pathname;
const children: ReturnType<typeof spawn>[] = [];

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

describe('closer demo (built CLI, as a newcomer runs it)', () => {
  it('starts its own Redis when none answers, closes a mixed batch per provider, serves the dashboard, stops on SIGTERM', async () => {
    // Nothing listens on this port: the demo must start a redis-server there itself.
    const redisPort = await freePort();
    const child = spawn(process.execPath, [CLI, 'demo'], {
      env: { PATH: process.env.PATH, REDIS_URL: `redis://127.0.0.1:${redisPort}`, PORT: '0', CLOSER_HEALTH_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Running until Ctrl-C')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`demo exited with ${code}:\n${output}`)));
    });

    expect(output).toContain(`Started a local redis-server for this run at redis://127.0.0.1:${redisPort}`);
    expect(output).toMatch(/batch \S+ done in [\d.]+ s, [\d.]+\/s: 40 completed, 2 dead-lettered/); // Peach: two unknown ids
    expect(output.match(/done in [\d.]+ s, [\d.]+\/s: 40 completed, 1 dead-lettered/g)).toHaveLength(2); // Callbell, Chatwoot
    expect(output).toContain('Dead letters (4)');
    // Each batch's signed callback reached the demo's receiver, which verified it.
    expect(output.match(/callback received, signature verified: batch\.done (peach|callbell|chatwoot) batch/g)).toHaveLength(3);
    // Their dead letters were told as they happened, gathered, before the batches' ends.
    expect(output).toMatch(/callback received, signature verified: conversation\.dead_lettered \w+ batch \S+: \{.*\} PROVIDER_/);
    // What the intro promises is shown as it happens, for each provider it names.
    expect(output).toMatch(/^ {2}peach +429 rate limited by the provider: the whole account waits 3\.0 s/m);
    expect(output).toMatch(/^ {2}callbell +429 rate limited by the provider/m);
    for (const [account, status] of [['peach', 503], ['callbell', 500], ['chatwoot', 502]] as const) {
      expect(output).toMatch(new RegExp(`^ {2}${account} +\\S+ ${status} PROVIDER_UNAVAILABLE: attempt 1 of \\d+ failed, retried`, 'm'));
    }
    expect(output.match(/404 PROVIDER_NOT_FOUND: dead-lettered/g)).toHaveLength(4);
    expect(output).not.toMatch(/done in 0\.0 s/);

    // The CLI, run from another shell, sees the demo's accounts with their rate limits.
    const cli = spawn(process.execPath, [CLI, 'accounts', '--json'], { env: { PATH: process.env.PATH, REDIS_URL: `redis://127.0.0.1:${redisPort}`, LOG_LEVEL: 'silent' } });
    let listed = '';
    cli.stdout!.on('data', (chunk: Buffer) => (listed += chunk.toString()));
    const [cliCode] = await once(cli, 'exit');
    expect(cliCode).toBe(0);
    expect((JSON.parse(listed) as { id: string; rateLimit: string; counts: { deadLettered: number } }[]).map(({ id, rateLimit, counts }) => [id, rateLimit, counts.deadLettered])).toEqual([
      ['callbell', '50/s', 1],
      ['chatwoot', '20/s', 1],
      ['peach', '10/s', 2],
    ]);

    const consoleUrl = /Console: +(\S+) +\(log in with the token (\S+)\)/.exec(output)!;
    // Without a session, the console asks to log in.
    expect((await fetch(consoleUrl[1]!, { redirect: 'manual' })).headers.get('location')).toBe('/console/login');
    const dashboard = /Dashboard: (\S+)\s+\(raw queues; user: anything, password: (\S+)\)/.exec(output)!;
    expect(dashboard[2]).toBe(consoleUrl[2]);
    const [, url, token] = dashboard;
    expect((await fetch(url!)).status).toBe(401);
    const page = await fetch(url!, { headers: { authorization: `Basic ${Buffer.from(`me:${token}`).toString('base64')}` } });
    expect(page.status).toBe(200);
    const queues = (await (await fetch(`${url}/api/queues`, { headers: { authorization: `Bearer ${token}` } })).json()) as { queues: { name: string }[] };
    // The account queues; dead letters are the console's (bull-board showed them as idle queues with no workers).
    expect(queues.queues.map((q) => q.name).sort()).toEqual(['account-callbell', 'account-chatwoot', 'account-peach']);

    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    // Its Redis went with it.
    const probe = await fetch(`http://127.0.0.1:${redisPort}`).then(() => 'answered', () => 'gone');
    expect(probe).toBe('gone');
  }, 90_000);
});
