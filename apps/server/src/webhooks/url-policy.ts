import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { type AddressKind, addressKind } from './address-ranges.js';

// Which URLs a webhook may target. An admin types the URL, the server sends to it: without
// these rules a workspace admin could make the server post into its own network (SSRF) and
// read the start of the answers in the delivery log. The same rules are applied when the
// URL is saved (a message for the `url` field) and again at every send (the sender's lookup
// checks the addresses it connects to, so DNS cannot change its answer in between).

/** What the server allows (from NODE_ENV and WEBHOOK_ALLOW_PRIVATE). */
export interface TargetPolicy {
  /** Only `https:` URLs (production); otherwise `http:` too. */
  httpsOnly: boolean;
  /** Loopback, private, link-local… addresses allowed (tests, on-premise receivers). */
  allowPrivate: boolean;
}

/** One resolved address, as `dns.lookup` gives it with `all: true`. */
export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Every address a host name resolves to; rejects when it resolves to none. */
export type Resolve = (hostname: string) => Promise<ResolvedAddress[]>;

export const resolveWithSystem: Resolve = (hostname) => lookup(hostname, { all: true });

export const MAX_URL_LENGTH = 2000;

/**
 * Names of cloud metadata services. Their addresses are refused anyway; naming them gives
 * a clear message even where they do not resolve, and keeps them refused when private
 * addresses are allowed.
 */
const METADATA_HOSTS: ReadonlySet<string> = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
]);

const KIND_WORDS: Record<AddressKind, string> = {
  metadata: 'a cloud metadata address',
  unspecified: 'an unspecified address',
  loopback: 'a loopback address',
  private: 'a private address',
  'link-local': 'a link-local address',
  'shared (CGNAT)': 'a shared (carrier-grade NAT) address',
  multicast: 'a multicast address',
  reserved: 'a reserved address',
};

/** A URL that passed the rules that need no DNS. */
export interface Target {
  url: URL;
  /** The host without IPv6 brackets or a trailing dot. */
  host: string;
  /** Whether `host` is an IP address (Node connects to it without a lookup). */
  literal: boolean;
}

/** The URL's scheme, credentials, length and host checked; the problem in words otherwise. */
export function parseTarget(text: string, policy: TargetPolicy): Target | { problem: string } {
  if (text.length > MAX_URL_LENGTH) {
    return { problem: `is longer than ${MAX_URL_LENGTH} characters` };
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { problem: 'is not a URL' };
  }
  if (url.protocol !== 'https:' && (policy.httpsOnly || url.protocol !== 'http:')) {
    return {
      problem: policy.httpsOnly
        ? `must start with https:// (the server runs in production)`
        : `must start with https:// or http://`,
    };
  }
  // Credentials in a URL end up in logs, the dashboard and every list of endpoints; the
  // signature already proves who sent a delivery.
  if (url.username || url.password) {
    return { problem: 'must not contain a user name or password' };
  }
  const host = url.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '');
  if (!host) return { problem: 'names no host' };
  if (METADATA_HOSTS.has(host)) {
    return { problem: `names a cloud metadata service (${host})` };
  }
  return { url, host, literal: isIP(host) !== 0 };
}

/** A refused address: its kind, and the kind and address in words. */
interface Refusal {
  kind: AddressKind;
  words: string;
}

/** Why the server may not connect to `address`, e.g. `a loopback address (127.0.0.1)`. */
export function addressProblem(address: string, policy: TargetPolicy): Refusal | undefined {
  const kind = addressKind(address);
  if (kind === undefined || (policy.allowPrivate && kind !== 'metadata')) return undefined;
  return { kind, words: `${KIND_WORDS[kind]} (${address})` };
}

/** The first refused address among `addresses`: one refused address refuses the host. */
export function resolvedProblem(
  addresses: readonly ResolvedAddress[],
  policy: TargetPolicy,
): Refusal | undefined {
  for (const { address } of addresses) {
    const problem = addressProblem(address, policy);
    if (problem) return problem;
  }
  return undefined;
}

/** What a sender's error says about a refused address. */
export function refusedMessage(refusal: Refusal, literal: boolean): string {
  return `${literal ? 'points at' : 'resolves to'} ${refusal.words}`;
}

/**
 * Why `text` may not be a webhook URL (a message for the `url` field), or undefined when
 * it may. Resolves the host: every address it has must be allowed.
 */
export async function checkTargetUrl(
  text: string,
  policy: TargetPolicy,
  resolve: Resolve = resolveWithSystem,
  timeoutMs = 10_000,
): Promise<string | undefined> {
  const target = parseTarget(text, policy);
  if ('problem' in target) return target.problem;
  let refusal: Refusal | undefined;
  if (target.literal) {
    refusal = addressProblem(target.host, policy);
  } else {
    const addresses = await resolveWithin(resolve, target.host, timeoutMs);
    if (addresses === 'late') return `names a host that did not resolve in time (${target.host})`;
    if (addresses.length === 0) return `names a host that does not resolve (${target.host})`;
    refusal = resolvedProblem(addresses, policy);
  }
  if (!refusal) return undefined;
  // Self-hosters testing against a receiver on their own machine need to know the switch.
  const hint =
    refusal.kind === 'metadata'
      ? ''
      : '; only public addresses are allowed unless the server sets WEBHOOK_ALLOW_PRIVATE=true';
  return `${refusedMessage(refusal, target.literal)}${hint}`;
}

/**
 * The host's addresses ([] when it has none), or `late`: a resolver that does not answer
 * must not hold a request (or a delivery's claim) for the system's own retries.
 */
async function resolveWithin(
  resolve: Resolve,
  host: string,
  timeoutMs: number,
): Promise<ResolvedAddress[] | 'late'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((settle) => {
    timer = setTimeout(() => settle('late'), timeoutMs);
  });
  try {
    return await Promise.race([resolve(host).catch(() => []), late]);
  } finally {
    clearTimeout(timer);
  }
}
