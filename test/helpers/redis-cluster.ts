import { execFile, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort, spawnRedisServer } from './redis-server.js';
import { waitUntil } from './test-config.js';

const run = promisify(execFile);

export interface ClusterNode {
  port: number;
  /** Stops it with SIGKILL (no chance to hand over anything); its directory stays. */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory (it rejoins the cluster). */
  restart(): Promise<void>;
  running(): boolean;
}

export interface TestCluster {
  nodes: ClusterNode[];
  /** Seed nodes as REDIS_CLUSTER_NODES takes them. */
  seeds: string;
  /** Ports of the masters now, by asking a live node. */
  masters(): Promise<number[]>;
  /** Port of the master that serves `key`'s slot now. */
  masterOf(key: string): Promise<number>;
  /** Waits until the master on `port` has a replica whose link is up. */
  replicated(port: number, timeoutMs?: number): Promise<void>;
  /** Waits until every live node reports cluster_state:ok. */
  healthy(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

async function clusterInfo(port: number): Promise<string> {
  const client = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.cluster('INFO')) as string;
  } catch {
    return '';
  } finally {
    client.disconnect();
  }
}

/**
 * A throwaway Redis Cluster on free loopback ports: `masters` masters with
 * `replicas` replicas each, made as an operator would (redis-server
 * --cluster-enabled yes per node, then redis-cli --cluster create). AOF is on
 * and fsynced every second, as a production deployment runs it; replicas
 * fail over after 1 s without their master.
 */
export async function startRedisCluster(shape: { masters?: number; replicas?: number } = {}): Promise<TestCluster> {
  try {
    return await formCluster(shape);
  } catch (error) {
    // Forming a cluster is the test's ground, not what it tests: a replica
    // that did not sync on a loaded machine gets one fresh cluster more.
    process.stderr.write(`test cluster not formed (${(error as Error).message}); forming a fresh one\n`);
    return formCluster(shape);
  }
}

async function formCluster({ masters = 3, replicas = 0 }: { masters?: number; replicas?: number }): Promise<TestCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'closer-cluster-'));
  const count = masters * (1 + replicas);
  const ports: number[] = [];
  while (ports.length < count) {
    const port = await freePort();
    // The cluster bus listens on port + 10000, which must be a port too.
    if (port < 55_000 && !ports.includes(port)) ports.push(port);
  }

  const nodes: ClusterNode[] = ports.map((port) => {
    let child: ChildProcess | undefined;
    const launch = async () => {
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`];
      args.push('--cluster-node-timeout', '1000', '--appendonly', 'yes', '--appendfilename', `appendonly-${port}.aof`, '--appenddirname', `aof-${port}`);
      args.push('--save', '', '--maxmemory-policy', 'noeviction', '--daemonize', 'no');
      child = await spawnRedisServer(args);
    };
    const kill = async () => {
      const proc = child;
      child = undefined;
      if (proc && proc.exitCode === null) {
        proc.kill('SIGKILL');
        await once(proc, 'exit');
      }
    };
    return { port, kill, restart: launch, running: () => child !== undefined, launch } as ClusterNode & { launch: () => Promise<void> };
  });
  const stopAll = async () => {
    await Promise.all(nodes.map((node) => node.kill()));
    await rm(dir, { recursive: true, force: true });
  };
  const healthy = async (timeoutMs = 30_000) => {
    await waitUntil(
      async () => {
        const infos = await Promise.all(nodes.filter((node) => node.running()).map((node) => clusterInfo(node.port)));
        return infos.every((info) => info.includes('cluster_state:ok') && info.includes('cluster_slots_ok:16384'));
      },
      { timeoutMs, what: 'cluster_state:ok on every node' },
    );
  };
  const cluster: TestCluster = {
    nodes,
    seeds: ports.map((port) => `127.0.0.1:${port}`).join(','),
    async masters() {
      const live = nodes.find((node) => node.running())!;
      const client = new Redis(live.port, '127.0.0.1');
      try {
        const lines = ((await client.cluster('NODES')) as string).trim().split('\n');
        return lines.filter((line) => /\bmaster\b/.test(line) && !/\bfail\b/.test(line)).map((line) => Number(/:(\d+)@/.exec(line)![1]));
      } finally {
        client.disconnect();
      }
    },
    async masterOf(key) {
      const live = nodes.find((node) => node.running())!;
      const client = new Redis(live.port, '127.0.0.1');
      try {
        const slot = (await client.cluster('KEYSLOT', key)) as number;
        const ranges = (await client.cluster('SLOTS')) as unknown as [number, number, [string, number]][];
        const range = ranges.find(([first, last]) => slot >= first && slot <= last)!;
        return range[2][1];
      } finally {
        client.disconnect();
      }
    },
    async replicated(port, timeoutMs = 30_000) {
      const client = new Redis(port, '127.0.0.1');
      try {
        await waitUntil(async () => /slave0:.*state=online/.test((await client.info('replication')) as string), { timeoutMs, what: `a replica of ${port} online` });
      } finally {
        client.disconnect();
      }
    },
    healthy,
    stop: stopAll,
  };
  try {
    await Promise.all(nodes.map((node) => (node as ClusterNode & { launch: () => Promise<void> }).launch()));
    await run('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', String(replicas), '--cluster-yes']);
    await healthy();
    // A replica syncs with its master after the cluster is formed: wait, so a test starts with every replica online.
    if (replicas > 0) for (const port of await cluster.masters()) await cluster.replicated(port, 60_000);
    return cluster;
  } catch (error) {
    // No server of a cluster that was not formed outlives it (they would keep jest from exiting).
    await stopAll();
    throw error;
  }
}
