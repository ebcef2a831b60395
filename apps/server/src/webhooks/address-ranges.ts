import { BlockList, isIP } from 'node:net';

// What kind of address an IP is, as far as a webhook target goes: anything but a public
// unicast address lets an admin who types a URL reach inside the server's network (SSRF).
// The ranges follow IANA's IPv4 and IPv6 special-purpose address registries.

/** Why an address is not public; `metadata` is refused even when private ones are allowed. */
export type AddressKind =
  | 'metadata'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'shared (CGNAT)'
  | 'multicast'
  | 'reserved';

type Range = readonly [network: string, prefix: number, kind: AddressKind];

// Cloud instance metadata services (AWS, GCP, Azure, DigitalOcean, Oracle, Alibaba): a
// response excerpt from them is a credential leak, so these stay refused whatever
// WEBHOOK_ALLOW_PRIVATE says.
const METADATA: readonly string[] = [
  '169.254.169.254',
  '169.254.170.2',
  '192.0.0.192',
  '100.100.100.200',
  'fd00:ec2::254',
];

const V4: readonly Range[] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared (CGNAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'reserved'],
  ['192.88.99.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'],
  ['198.51.100.0', 24, 'reserved'],
  ['203.0.113.0', 24, 'reserved'],
  ['224.0.0.0', 4, 'multicast'],
  // 240/4 is reserved and holds the broadcast address 255.255.255.255.
  ['240.0.0.0', 4, 'reserved'],
];

const V6: readonly Range[] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  // IPv4-compatible addresses (deprecated): no public host has one.
  ['::', 96, 'reserved'],
  ['64:ff9b:1::', 48, 'private'],
  ['100::', 64, 'reserved'],
  // IETF protocol assignments, Teredo (2001::/32, whose IPv4 part is obfuscated) among them.
  ['2001::', 23, 'reserved'],
  ['2001:db8::', 32, 'reserved'],
  ['3fff::', 20, 'reserved'],
  ['fc00::', 7, 'private'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'private'],
  ['ff00::', 8, 'multicast'],
];

function blockList(ranges: readonly Range[], family: 'ipv4' | 'ipv6') {
  const byKind = new Map<AddressKind, BlockList>();
  for (const [network, prefix, kind] of ranges) {
    const list = byKind.get(kind) ?? new BlockList();
    list.addSubnet(network, prefix, family);
    byKind.set(kind, list);
  }
  return [...byKind];
}

const V4_LISTS = blockList(V4, 'ipv4');
const V6_LISTS = blockList(V6, 'ipv6');
const METADATA_LIST = new BlockList();
for (const address of METADATA) {
  METADATA_LIST.addAddress(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
}

/** The 16 bytes of an IPv6 address (`::` expanded, a dotted IPv4 tail read). */
function ipv6Bytes(address: string): Uint8Array {
  let text = address.split('%')[0] ?? address;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  if (dotted) {
    const [a = 0, b = 0, c = 0, d = 0] = dotted.split('.').map(Number);
    text = `${text.slice(0, -dotted.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const groups = (part: string) => (part ? part.split(':').map((g) => Number.parseInt(g, 16)) : []);
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const bytes = new Uint8Array(16);
  all.forEach((group, i) => {
    bytes[i * 2] = group >> 8;
    bytes[i * 2 + 1] = group & 0xff;
  });
  return bytes;
}

/**
 * The IPv4 address an IPv6 one carries and would reach: IPv4-mapped (::ffff:a.b.c.d),
 * NAT64 (64:ff9b::/96) and 6to4 (2002::/16). Checked as IPv4, so ::ffff:127.0.0.1 is
 * loopback and 64:ff9b::10.0.0.1 private.
 */
export function embeddedIpv4(address: string): string | undefined {
  const b = ipv6Bytes(address);
  const zeros = (from: number, to: number) => b.subarray(from, to).every((x) => x === 0);
  const v4 = (at: number) => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return v4(12);
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(4, 12)) {
    return v4(12);
  }
  if (b[0] === 0x20 && b[1] === 0x02) return v4(2);
  return undefined;
}

/** What makes `address` (an IP literal) no public unicast address; undefined when it is one. */
export function addressKind(address: string): AddressKind | undefined {
  const family = isIP(address);
  if (family === 0) return 'reserved';
  if (family === 6) {
    const inner = embeddedIpv4(address);
    if (inner !== undefined) return addressKind(inner);
  }
  // A zone index (fe80::1%eth0) names an interface, not another address.
  const bare = address.split('%')[0] ?? address;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (METADATA_LIST.check(bare, type)) return 'metadata';
  for (const [kind, list] of family === 4 ? V4_LISTS : V6_LISTS) {
    if (list.check(bare, type)) return kind;
  }
  return undefined;
}
