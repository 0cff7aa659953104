import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';

export interface RedisProxy {
  url: string;
  /** Resolves when the client has sent its `count`th EXEC; from then on no reply reaches the client. */
  holdRepliesAfterExec(count: number): Promise<void>;
  /** Drops every connection and refuses new ones: Redis is gone, as far as the client can tell. */
  cutOff(): Promise<void>;
}

/**
 * A TCP proxy in front of a test Redis that loses replies on purpose: what a
 * client sees when Redis ran its commands but the connection broke before
 * the answers came back (Redis cannot be made to do that on cue).
 */
export async function startRedisProxy(redisPort: number): Promise<RedisProxy> {
  const sockets = new Set<Socket>();
  let execsSeen = 0;
  let execLimit = Number.POSITIVE_INFINITY;
  let onLimit: (() => void) | undefined;
  const server = createServer((client) => {
    const upstream = connect(redisPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      // RESP writes each EXEC as a one-element array: "*1\r\n$4\r\nexec\r\n" (in the client's case).
      execsSeen += chunk.toString('latin1').match(/\$4\r\nexec\r\n/gi)?.length ?? 0;
      if (execsSeen >= execLimit) onLimit?.();
    });
    upstream.on('data', (chunk: Buffer) => {
      if (execsSeen < execLimit) client.write(chunk);
    });
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    url: `redis://127.0.0.1:${port}`,
    holdRepliesAfterExec(count) {
      execLimit = count;
      return new Promise<void>((resolve) => {
        onLimit = resolve;
      });
    },
    async cutOff() {
      const closed = once(server, 'close');
      server.close();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
