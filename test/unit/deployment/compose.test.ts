import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';

const root = new URL('../../../', import.meta.url);
// merge: the closer services share their settings through a YAML anchor (<<: *closer).
const compose = parse(readFileSync(new URL('docker-compose.yml', root), 'utf8'), { merge: true }) as {
  services: Record<string, { command?: string[]; image?: string; ports?: string[]; healthcheck?: { test: string[] }; container_name?: string; env_file?: unknown; depends_on?: Record<string, { condition: string }>; build?: string }>;
  volumes: Record<string, unknown>;
};

describe('docker-compose.yml (no Docker engine here: its structure is checked instead)', () => {
  it('names redis, the API, the worker and the scheduler', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'redis', 'scheduler', 'worker']);
  });

  it('runs Redis with AOF and noeviction on a volume, with a health check', () => {
    const redis = compose.services.redis!;
    expect(redis.command).toEqual(expect.arrayContaining(['--appendonly', 'yes', '--maxmemory-policy', 'noeviction']));
    expect(redis.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
    expect(compose.volumes).toHaveProperty('redis-data');
  });

  it('starts each closer service from an entry point the build produces, after Redis is healthy, with .env', () => {
    for (const name of ['api', 'worker', 'scheduler']) {
      const service = compose.services[name]!;
      const entry = service.command?.[1];
      expect(service.command?.[0]).toBe('node');
      expect(existsSync(new URL(entry!.replace(/^dist\//, '').replace(/\.js$/, '.ts'), root))).toBe(true);
      expect(service.depends_on?.redis?.condition).toBe('service_healthy');
      expect(service.env_file).toEqual([{ path: '.env', required: false }]);
      expect(service.build).toBe('.');
    }
  });

  it('checks the API, workers and scheduler through /readyz and lets the worker scale', () => {
    expect(compose.services.api!.healthcheck?.test.join(' ')).toContain('127.0.0.1:3000/readyz');
    expect(compose.services.worker!.healthcheck?.test.join(' ')).toContain('127.0.0.1:3001/readyz');
    expect(compose.services.scheduler!.healthcheck?.test.join(' ')).toContain('127.0.0.1:3001/readyz');
    expect(compose.services.worker!.ports).toBeUndefined();
    expect(compose.services.worker!.container_name).toBeUndefined();
  });

  it('builds a multi-stage image on Node 24 LTS that runs as a non-root user', () => {
    const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8');
    expect(dockerfile.match(/^FROM node:24-\S+/gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/^FROM .* AS build$/m);
    expect(dockerfile).toMatch(/^USER node$/m);
  });

  it('has a cluster variant: six Redis nodes in cluster mode, made into 3 masters and 3 replicas once, closer pointed at them', () => {
    const cluster = parse(readFileSync(new URL('docker-compose.cluster.yml', root), 'utf8'), { merge: true }) as {
      services: Record<string, { command?: string[]; environment?: Record<string, string>; depends_on?: Record<string, { condition: string }>; networks?: unknown; volumes?: string[] }>;
    };
    const nodes = Object.keys(cluster.services).filter((name) => /^redis-\d$/.test(name));
    expect(nodes).toHaveLength(6);
    for (const name of nodes) {
      expect(cluster.services[name]!.command).toEqual(expect.arrayContaining(['--cluster-enabled', 'yes', '--appendonly', 'yes', '--maxmemory-policy', 'noeviction']));
      expect(cluster.services[name]!.volumes).toEqual([`${name}:/data`]);
    }
    const init = cluster.services['redis-cluster-init']!;
    expect(init.command!.join(' ')).toMatch(/redis-cli --cluster create( 172\.30\.0\.1\d:6379){6} --cluster-replicas 1 --cluster-yes/);
    expect(Object.keys(init.depends_on ?? {}).sort()).toEqual(nodes.sort());
    for (const name of ['api', 'worker', 'scheduler']) {
      const service = cluster.services[name]!;
      expect(service.environment?.REDIS_CLUSTER_NODES).toBe('172.30.0.11:6379,172.30.0.12:6379,172.30.0.13:6379');
      expect(service.environment?.CLOSER_ENQUEUE_REPLICAS).toBe('1');
      expect(service.depends_on?.['redis-cluster-init']?.condition).toBe('service_completed_successfully');
      expect(existsSync(new URL(service.command![1]!.replace(/^dist\//, '').replace(/\.js$/, '.ts'), root))).toBe(true);
    }
  });
});
