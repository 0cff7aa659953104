import type { AccountConfig, Config, JobSettings } from '../../src/config/types.js';
import type { TestCluster } from './redis-cluster.js';
import { testConfig } from './test-config.js';

/** A test's Config on a Redis Cluster (REDIS_CLUSTER_NODES); REDIS_URL points nowhere, so nothing can use it by mistake. */
export function clusterConfig(cluster: TestCluster, accounts: AccountConfig[], jobs: Partial<JobSettings> = {}): Config {
  return {
    ...testConfig('redis://127.0.0.1:1', accounts, jobs),
    redisCluster: { nodes: cluster.seeds.split(',').map((seed) => ({ host: '127.0.0.1', port: Number(seed.split(':')[1]) })), tls: false },
  };
}
