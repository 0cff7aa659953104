import { once } from 'node:events';
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';

export interface DemoReceiver {
  url: string;
  /** batch.done events received with a good signature. */
  received(): number;
  close(): Promise<void>;
}

/**
 * What an app would run to take closer's callbacks: a local HTTP endpoint
 * that verifies each delivery's Standard Webhooks signature and prints the
 * event (a delivery that fails verification is answered 400 and printed so).
 */
export async function startDemoReceiver(secret: string, print: (line: string) => void): Promise<DemoReceiver> {
  const webhook = new Webhook(secret);
  let verified = 0;
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      try {
        const event = webhook.verify(body, request.headers as Record<string, string>) as Record<string, unknown>;
        const said = `  callback received, signature verified: ${String(event.type)} ${String(event.account)} batch ${String(event.batchId)}`;
        if (event.type === 'batch.done') {
          verified += 1;
          print(`${said}: ${event.completed} completed, ${event.deadLettered} dead-lettered of ${event.total}`);
        } else {
          const conversations = (event.conversations as { ref: unknown; outcome?: string; reason?: string }[]).map(({ ref, outcome, reason }) => `${JSON.stringify(ref)} ${outcome ?? reason}`);
          print(`${said}: ${conversations.join(', ')}`);
        }
        response.writeHead(204).end();
      } catch {
        print('  callback received with a signature that does not verify: refused (400)');
        response.writeHead(400).end();
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/closer-callbacks`,
    received: () => verified,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
