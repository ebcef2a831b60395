import { describe, expect, it } from 'vitest';
import { describeAgent } from './describeAgent';

const AGENTS = {
  firefoxWindows:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0',
  chromeLinux:
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  edgeWindows:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0',
  safariIphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  safariMac:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  chromeAndroid:
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
  operaChromeOs:
    'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 OPR/111.0.0.0',
};

describe('describeAgent', () => {
  it.each([
    [AGENTS.firefoxWindows, 'Firefox on Windows'],
    [AGENTS.chromeLinux, 'Chrome on Linux'],
    [AGENTS.edgeWindows, 'Edge on Windows'],
    [AGENTS.safariIphone, 'Safari on iOS'],
    [AGENTS.safariMac, 'Safari on macOS'],
    [AGENTS.chromeAndroid, 'Chrome on Android'],
    [AGENTS.operaChromeOs, 'Opera on ChromeOS'],
  ])('names %s as "%s"', (agent, name) => {
    expect(describeAgent(agent)).toBe(name);
  });

  it('names a browser or a system alone when only one is known', () => {
    expect(describeAgent('curl/8.7.1')).toBe('curl');
    expect(describeAgent('node')).toBe('Node.js');
    expect(describeAgent('undici')).toBe('Node.js');
    expect(describeAgent('SomeApp/1.0 (X11; Linux x86_64)')).toBe('Linux');
  });

  it('says "Unknown device" when there is no header or nothing in it is known', () => {
    expect(describeAgent(null)).toBe('Unknown device');
    expect(describeAgent('')).toBe('Unknown device');
    expect(describeAgent('SomeApp/1.0')).toBe('Unknown device');
  });
});
