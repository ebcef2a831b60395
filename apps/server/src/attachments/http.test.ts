import { describe, expect, it } from 'vitest';
import {
  cleanFilename,
  contentDisposition,
  notModified,
  requestedRange,
  servedType,
} from './http.js';
import { parseS3Url } from './settings.js';

describe('requestedRange', () => {
  it.each([
    ['bytes=0-9', { start: 0, end: 9 }],
    ['bytes=90-', { start: 90, end: 99 }],
    ['bytes=-5', { start: 95, end: 99 }],
    ['bytes=-500', { start: 0, end: 99 }],
    ['bytes=50-500', { start: 50, end: 99 }],
    ['bytes=100-', 'unsatisfiable'],
    ['bytes=-0', 'unsatisfiable'],
    ['bytes=5-1', null],
    ['bytes=0-1,4-5', null],
    ['items=0-1', null],
    ['bytes=-', null],
  ] as const)('%s of 100 bytes → %j', (header, expected) => {
    expect(requestedRange(header, 100)).toEqual(expected);
  });

  it('reads no range without a header, and none of an empty file', () => {
    expect(requestedRange(undefined, 100)).toBeNull();
    expect(requestedRange('bytes=0-', 0)).toBe('unsatisfiable');
  });
});

describe('notModified', () => {
  it('matches the tag among several, and nothing without the header', () => {
    expect(notModified('"a", "b"', '"b"')).toBe(true);
    expect(notModified('"a"', '"b"')).toBe(false);
    expect(notModified(undefined, '"b"')).toBe(false);
  });
});

describe('what a download says about its file', () => {
  it('serves allowed types as themselves, anything a browser would run as octet-stream', () => {
    expect(servedType('image/PNG; charset=x')).toBe('image/png');
    for (const type of ['text/html', 'image/svg+xml', 'text/xml', 'application/javascript', '']) {
      expect(servedType(type)).toBe('application/octet-stream');
    }
  });

  it('keeps a name as sent, without control characters', () => {
    expect(cleanFilename('../../etc/passwd')).toBe('../../etc/passwd');
    expect(cleanFilename('a\u0000b\nc.txt')).toBe('abc.txt');
    expect(cleanFilename('   ')).toBe('file');
    expect(Array.from(cleanFilename('é'.repeat(300)))).toHaveLength(255);
  });

  it('drops invisible format characters (bidi overrides, zero-width space, BOM), not joiners', () => {
    expect(cleanFilename('invoice\u202Egpj.exe')).toBe('invoicegpj.exe');
    expect(cleanFilename('\uFEFFa\u200Bb\u2066c\u2069.txt')).toBe('abc.txt');
    expect(cleanFilename('\u202E')).toBe('file');
    // ZWNJ and ZWJ: Persian words and emoji sequences need them.
    expect(cleanFilename('می\u200Cخواهم 👩\u200D💻.png')).toBe('می\u200Cخواهم 👩\u200D💻.png');
  });

  it('names the file twice: an ASCII fallback and the exact UTF-8 name', () => {
    expect(contentDisposition('naïve "plan" (v2)*.pdf')).toBe(
      `attachment; filename="na_ve _plan_ (v2)*.pdf"; filename*=UTF-8''na%C3%AFve%20%22plan%22%20%28v2%29%2A.pdf`,
    );
  });
});

describe('ATTACHMENTS_S3_URL', () => {
  it('reads endpoint, bucket, prefix, region and credentials', () => {
    expect(parseS3Url('s3://AK:S%2Fx@s3.example.com/files/trellis/prod?region=eu-west-1')).toEqual({
      endpoint: 'https://s3.example.com',
      bucket: 'files',
      prefix: 'trellis/prod',
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AK', secretAccessKey: 'S/x' },
    });
    expect(parseS3Url('http://127.0.0.1:9000/bucket')).toMatchObject({
      endpoint: 'http://127.0.0.1:9000',
      region: 'us-east-1',
      credentials: null,
    });
  });

  it('refuses a bad URL without repeating its secret', () => {
    for (const url of ['ftp://AK:hunter2@h/bucket', 's3://AK:hunter2@h/', 's3://AK@h/bucket']) {
      expect(() => parseS3Url(url)).toThrow(/ATTACHMENTS_S3_URL/);
      try {
        parseS3Url(url);
      } catch (error) {
        expect((error as Error).message).not.toContain('hunter2');
      }
    }
  });
});
