import got from 'got';
import { Webhook } from 'standardwebhooks';
import { checkLiteralHost, guardedLookup } from './address-guard.js';

/** Longest a receiver may take to answer one delivery. */
const DELIVERY_TIMEOUT_MS = 10_000;

export interface Delivery {
  url: string;
  /** Stable across attempts: receivers deduplicate by it (webhook-id). */
  id: string;
  payload: unknown;
}

export interface DeliveryOutcome {
  ok: boolean;
  /** The receiver's HTTP status; null when it gave none (timeout, refused address, network). */
  status: number | null;
  error?: string;
}

/**
 * One signed POST, the Standard Webhooks way (webhook-id, webhook-timestamp,
 * webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">), signed
 * by the reference implementation (`standardwebhooks`), which receivers can
 * use to verify. No redirect is followed and nothing is retried here: the
 * callback job's attempts are the one retry layer.
 */
export async function deliverCallback(delivery: Delivery, { secret, allowPrivate }: { secret: string; allowPrivate: boolean }): Promise<DeliveryOutcome> {
  const body = JSON.stringify(delivery.payload);
  const timestamp = new Date();
  const signature = new Webhook(secret).sign(delivery.id, timestamp, body);
  try {
    checkLiteralHost(new URL(delivery.url), allowPrivate);
    const response = await got.post(delivery.url, {
      body,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'closer-callbacks',
        'webhook-id': delivery.id,
        'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
        'webhook-signature': signature,
      },
      dnsLookup: guardedLookup(allowPrivate) as never,
      timeout: { request: DELIVERY_TIMEOUT_MS },
      retry: { limit: 0 },
      followRedirect: false,
      throwHttpErrors: false,
    });
    return { ok: response.statusCode >= 200 && response.statusCode < 300, status: response.statusCode };
  } catch (error) {
    return { ok: false, status: null, error: error instanceof Error ? error.message : String(error) };
  }
}
