import { lookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { AppError } from '../errors/app-error.js';

/** A callback address closer will not send to (server-side request forgery). */
export class ForbiddenAddressError extends AppError {
  readonly code = 'CALLBACK_ADDRESS_REFUSED';
}

/**
 * Loopback, private, link-local (cloud metadata: 169.254.169.254), carrier
 * NAT, "this network", multicast and reserved ranges, in both families. A
 * callback URL is the app's to choose, so closer must not become a way into
 * the networks it runs in.
 */
function refusedRanges(): BlockList {
  const list = new BlockList();
  for (const [net, prefix] of [
    ['0.0.0.0', 8],
    ['10.0.0.0', 8],
    ['100.64.0.0', 10],
    ['127.0.0.0', 8],
    ['169.254.0.0', 16],
    ['172.16.0.0', 12],
    ['192.0.0.0', 24],
    ['192.168.0.0', 16],
    ['198.18.0.0', 15],
    ['224.0.0.0', 4],
    ['240.0.0.0', 4],
  ] as const) {
    list.addSubnet(net, prefix, 'ipv4');
  }
  for (const [net, prefix] of [
    ['::', 128],
    ['::1', 128],
    ['fc00::', 7],
    ['fe80::', 10],
    ['ff00::', 8],
  ] as const) {
    list.addSubnet(net, prefix, 'ipv6');
  }
  return list;
}

const REFUSED = refusedRanges();

/** Whether an IP address is one callbacks may not reach (an IPv4-mapped IPv6 address is judged as its IPv4 one). */
export function isRefusedAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return REFUSED.check(mapped, 'ipv4');
  const family = isIP(address);
  if (family === 0) return true;
  return REFUSED.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `dns.lookup` for the HTTP client that resolves the callback's host and
 * refuses it when any of its addresses is refused: checked on the addresses
 * the connection then uses (not on a first resolution that a second could
 * contradict), so a name that resolves to an internal address is caught too.
 */
export function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: { all?: boolean; family?: number }, callback: LookupCallback): void => {
    lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const refused = allowPrivate ? undefined : addresses.find(({ address }) => isRefusedAddress(address));
      if (refused) return callback(new ForbiddenAddressError(`the callback host ${hostname} resolves to ${refused.address}, a private, loopback or link-local address`), []);
      if (options.all) return callback(null, addresses);
      const first = addresses[0]!;
      return callback(null, first.address, first.family);
    });
  };
}

/** A URL whose host is an IP literal is checked here: Node connects to it without a lookup. */
export function checkLiteralHost(url: URL, allowPrivate: boolean): void {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate && isIP(host) !== 0 && isRefusedAddress(host)) throw new ForbiddenAddressError(`the callback address ${host} is private, loopback or link-local`);
}
