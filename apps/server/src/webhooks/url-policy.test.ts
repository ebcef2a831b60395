import { describe, expect, it } from 'vitest';
import { dnsAnswers } from '../test/dns-answers.js';
import { addressKind } from './address-ranges.js';
import { checkTargetUrl, parseTarget, type TargetPolicy } from './url-policy.js';

const strict: TargetPolicy = { httpsOnly: false, allowPrivate: false };
const production: TargetPolicy = { httpsOnly: true, allowPrivate: false };
const onPremise: TargetPolicy = { httpsOnly: false, allowPrivate: true };

describe('addressKind', () => {
  it('names every kind of address that is not public', () => {
    const table: Record<string, string | undefined> = {
      '127.0.0.1': 'loopback',
      '127.255.0.9': 'loopback',
      '::1': 'loopback',
      '10.1.2.3': 'private',
      '172.16.0.1': 'private',
      '172.31.255.255': 'private',
      '192.168.1.1': 'private',
      'fd12:3456::1': 'private',
      'fc00::1': 'private',
      '169.254.1.1': 'link-local',
      'fe80::1': 'link-local',
      'fe80::1%eth0': 'link-local',
      '169.254.169.254': 'metadata',
      'fd00:ec2::254': 'metadata',
      '100.100.100.200': 'metadata',
      '0.0.0.0': 'unspecified',
      '::': 'unspecified',
      '100.64.0.1': 'shared (CGNAT)',
      '224.0.0.1': 'multicast',
      'ff02::1': 'multicast',
      '255.255.255.255': 'reserved',
      '240.0.0.1': 'reserved',
      '192.0.2.1': 'reserved',
      '2001:db8::1': 'reserved',
      // IPv4 inside IPv6: mapped, NAT64, 6to4, IPv4-compatible.
      '::ffff:127.0.0.1': 'loopback',
      '::ffff:7f00:1': 'loopback',
      '::ffff:10.0.0.1': 'private',
      '::ffff:169.254.169.254': 'metadata',
      '64:ff9b::a00:1': 'private',
      '2002:7f00:1::1': 'loopback',
      '2002:a9fe:a9fe::': 'metadata',
      '::127.0.0.1': 'reserved',
      // Public addresses, also inside IPv6 forms.
      '8.8.8.8': undefined,
      '1.1.1.1': undefined,
      '172.32.0.1': undefined,
      '100.128.0.1': undefined,
      '2606:4700:4700::1111': undefined,
      '::ffff:8.8.8.8': undefined,
      '64:ff9b::808:808': undefined,
      '2002:808:808::1': undefined,
    };
    const kinds = Object.fromEntries(Object.keys(table).map((a) => [a, addressKind(a)]));
    expect(kinds).toEqual(table);
  });
});

describe('parseTarget', () => {
  it('accepts http and https outside production, https only in production', () => {
    expect(parseTarget('http://hooks.example.com/in', strict)).toMatchObject({
      host: 'hooks.example.com',
      literal: false,
    });
    expect(parseTarget('https://hooks.example.com/in', production)).toMatchObject({
      host: 'hooks.example.com',
    });
    expect(parseTarget('http://hooks.example.com/in', production)).toEqual({
      problem: 'must start with https:// (the server runs in production)',
    });
    for (const url of ['ftp://hooks.example.com/', 'file:///etc/passwd', 'gopher://x/']) {
      expect(parseTarget(url, strict)).toEqual({ problem: 'must start with https:// or http://' });
    }
  });

  it('refuses credentials, long URLs, text that is no URL, and metadata names', () => {
    expect(parseTarget('https://user:pw@hooks.example.com/', strict)).toEqual({
      problem: 'must not contain a user name or password',
    });
    expect(parseTarget('https://token@hooks.example.com/', strict)).toEqual({
      problem: 'must not contain a user name or password',
    });
    expect(parseTarget(`https://hooks.example.com/${'a'.repeat(2000)}`, strict)).toEqual({
      problem: 'is longer than 2000 characters',
    });
    expect(parseTarget('hooks.example.com/in', strict)).toEqual({ problem: 'is not a URL' });
    for (const host of ['metadata.google.internal', 'METADATA.google.internal.', 'metadata']) {
      expect(parseTarget(`http://${host}/computeMetadata/v1/`, onPremise)).toEqual({
        problem: `names a cloud metadata service (${host.toLowerCase().replace(/\.$/, '')})`,
      });
    }
  });

  it('reads IP literals the way the connection will (hex, decimal, brackets)', () => {
    expect(parseTarget('http://0x7f.1:8080/', strict)).toMatchObject({
      host: '127.0.0.1',
      literal: true,
    });
    expect(parseTarget('http://2130706433/', strict)).toMatchObject({ host: '127.0.0.1' });
    expect(parseTarget('http://[::ffff:127.0.0.1]/', strict)).toMatchObject({
      host: '::ffff:7f00:1',
      literal: true,
    });
  });
});

describe('checkTargetUrl', () => {
  it('accepts a host whose every address is public', async () => {
    const resolve = dnsAnswers({ 'hooks.example.com': ['93.184.215.14', '2606:2800:21f::1'] });
    expect(await checkTargetUrl('https://hooks.example.com/in', strict, resolve)).toBeUndefined();
    expect(await checkTargetUrl('https://8.8.8.8/in', production, resolve)).toBeUndefined();
  });

  it('refuses a name that resolves to loopback, with the real resolver (localhost)', async () => {
    expect(await checkTargetUrl('http://localhost:9/in', strict)).toBe(
      'resolves to a loopback address (127.0.0.1); only public addresses are allowed unless the server sets WEBHOOK_ALLOW_PRIVATE=true',
    );
  });

  it('refuses a host when any one of its addresses is refused', async () => {
    const resolve = dnsAnswers({ 'mixed.example.com': ['93.184.215.14', '10.0.0.7'] });
    expect(await checkTargetUrl('https://mixed.example.com/', strict, resolve)).toMatch(
      /^resolves to a private address \(10\.0\.0\.7\); only public addresses/,
    );
  });

  it('refuses IP literals of every private kind, IPv4-mapped IPv6 included', async () => {
    const urls = {
      'http://127.0.0.1/': 'points at a loopback address (127.0.0.1)',
      'http://[::1]/': 'points at a loopback address (::1)',
      'http://[::ffff:127.0.0.1]/': 'points at a loopback address (::ffff:7f00:1)',
      'http://0.0.0.0/': 'points at an unspecified address (0.0.0.0)',
      'http://10.0.0.1/': 'points at a private address (10.0.0.1)',
      'http://[fd00::1]/': 'points at a private address (fd00::1)',
      'http://169.254.169.254/latest/meta-data/':
        'points at a cloud metadata address (169.254.169.254)',
      'http://[fe80::1]/': 'points at a link-local address (fe80::1)',
      'http://100.64.0.1/': 'points at a shared (carrier-grade NAT) address (100.64.0.1)',
    };
    for (const [url, message] of Object.entries(urls)) {
      expect(await checkTargetUrl(url, strict)).toMatch(message);
    }
  });

  it('says when a host does not resolve (real resolver, reserved .invalid name)', async () => {
    expect(await checkTargetUrl('https://nothing-here.invalid/', strict)).toBe(
      'names a host that does not resolve (nothing-here.invalid)',
    );
  });

  it('gives up on a resolver that does not answer in time', async () => {
    const silent = () => new Promise<never>(() => {});
    expect(await checkTargetUrl('https://slow-dns.example.com/', strict, silent, 50)).toBe(
      'names a host that did not resolve in time (slow-dns.example.com)',
    );
  });

  it('allows private addresses with WEBHOOK_ALLOW_PRIVATE, never metadata ones', async () => {
    expect(await checkTargetUrl('http://localhost:9/in', onPremise)).toBeUndefined();
    expect(await checkTargetUrl('http://10.0.0.1/in', onPremise)).toBeUndefined();
    expect(await checkTargetUrl('http://[::ffff:127.0.0.1]/', onPremise)).toBeUndefined();
    expect(await checkTargetUrl('http://169.254.169.254/', onPremise)).toBe(
      'points at a cloud metadata address (169.254.169.254)',
    );
    const resolve = dnsAnswers({ 'imds.example.com': ['169.254.169.254'] });
    expect(await checkTargetUrl('http://imds.example.com/', onPremise, resolve)).toBe(
      'resolves to a cloud metadata address (169.254.169.254)',
    );
  });
});
