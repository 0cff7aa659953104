import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RunningServer {
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  /** Stops listening and drops open connections, including requests still being held. */
  close(): Promise<void>;
}

export type RequestListener = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

const HOST = '127.0.0.1';

/** Starts a loopback HTTP server; `port` 0 lets the OS pick a free port. */
export async function startHttpServer(listener: RequestListener, port = 0): Promise<RunningServer> {
  const server = createServer((request, response) => {
    listener(request, response).catch(() => {
      // The listener answers every error itself; reaching here means the socket is gone.
      response.destroy();
    });
  });
  // Like a provider behind a load balancer (nginx: 75 s). A short timeout would advertise
  // `Keep-Alive: timeout=1`, which Node's agent reads as "do not reuse", forcing a new TCP
  // connection per request. close() drops idle connections itself.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port: boundPort } = server.address() as AddressInfo;
  return {
    origin: `http://${HOST}:${boundPort}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
