import { describe, expect, it } from 'vitest';
import { type RequestSource, requestSource } from './origin.js';

/** The headers of a browser request; anything not given was not sent. */
function request(headers: Partial<RequestSource>): RequestSource {
  // Served over HTTPS unless a test says otherwise.
  return { origin: undefined, host: undefined, secFetchSite: undefined, secure: true, ...headers };
}

describe('requestSource', () => {
  describe('with an Origin header', () => {
    it('is same when the Origin host matches the Host header', () => {
      const source = requestSource(
        request({ origin: 'https://app.example.com', host: 'app.example.com' }),
      );

      expect(source).toBe('same');
    });

    it('is same when Sec-Fetch-Site agrees (same-origin)', () => {
      const source = requestSource(
        request({
          origin: 'https://app.example.com',
          host: 'app.example.com',
          secFetchSite: 'same-origin',
        }),
      );

      expect(source).toBe('same');
    });

    it('is foreign when the Origin is another site', () => {
      const source = requestSource(
        request({ origin: 'https://evil.test', host: 'app.example.com' }),
      );

      expect(source).toBe('foreign');
    });

    it('is foreign for a look-alike host that only starts with ours', () => {
      const source = requestSource(
        request({ origin: 'https://app.example.com.evil.test', host: 'app.example.com' }),
      );

      expect(source).toBe('foreign');
    });

    it('is foreign for the literal "null" origin of sandboxed frames', () => {
      const source = requestSource(request({ origin: 'null', host: 'app.example.com' }));

      expect(source).toBe('foreign');
    });

    it('is foreign for an Origin that is not a URL', () => {
      const source = requestSource(request({ origin: 'app.example.com', host: 'app.example.com' }));

      expect(source).toBe('foreign');
    });

    it('is foreign when there is no Host to compare with', () => {
      const source = requestSource(request({ origin: 'https://app.example.com' }));

      expect(source).toBe('foreign');
    });

    it.each(['cross-site', 'same-site'])(
      'is foreign when Sec-Fetch-Site is %s, even if the hosts match',
      (secFetchSite) => {
        const source = requestSource(
          request({ origin: 'https://app.example.com', host: 'app.example.com', secFetchSite }),
        );

        expect(source).toBe('foreign');
      },
    );

    it('compares hosts case-insensitively', () => {
      const source = requestSource(
        request({ origin: 'https://App.Example.COM', host: 'APP.example.com' }),
      );

      expect(source).toBe('same');
    });
  });

  describe('host comparison includes the port', () => {
    it('is same when both name the same port', () => {
      const source = requestSource(
        request({ origin: 'http://localhost:3000', host: 'localhost:3000', secure: false }),
      );

      expect(source).toBe('same');
    });

    it('is foreign when the ports differ', () => {
      const source = requestSource(
        request({ origin: 'http://localhost:5173', host: 'localhost:3000', secure: false }),
      );

      expect(source).toBe('foreign');
    });

    it('is foreign when only the Origin has a port', () => {
      const source = requestSource(
        request({ origin: 'http://localhost:3000', host: 'localhost', secure: false }),
      );

      expect(source).toBe('foreign');
    });

    it('is foreign when only the Host has a port', () => {
      const source = requestSource(
        request({ origin: 'http://localhost', host: 'localhost:3000', secure: false }),
      );

      expect(source).toBe('foreign');
    });

    it('treats an explicit default port in the Origin as no port', () => {
      const source = requestSource(
        request({ origin: 'https://app.example.com:443', host: 'app.example.com' }),
      );

      expect(source).toBe('same');
    });
  });

  describe('origin comparison includes the scheme', () => {
    it('is foreign when an http:// page calls a server reached over HTTPS', () => {
      const source = requestSource(
        request({ origin: 'http://app.example.com', host: 'app.example.com', secure: true }),
      );

      expect(source).toBe('foreign');
    });

    it('is foreign when an https:// page calls a server reached over plain HTTP', () => {
      const source = requestSource(
        request({ origin: 'https://localhost:3000', host: 'localhost:3000', secure: false }),
      );

      expect(source).toBe('foreign');
    });

    it('treats a default port in the Host header as no port', () => {
      const https = request({ origin: 'https://app.example.com', host: 'app.example.com:443' });
      const http = request({ origin: 'http://localhost', host: 'localhost:80', secure: false });

      expect(requestSource(https)).toBe('same');
      expect(requestSource(http)).toBe('same');
    });

    it('is foreign for a Host that is not a plain host and port', () => {
      const withUserinfo = request({ origin: 'https://evil.test', host: 'x@evil.test' });
      const withPath = request({ origin: 'https://evil.test', host: 'evil.test/app' });

      expect(requestSource(withUserinfo)).toBe('foreign');
      expect(requestSource(withPath)).toBe('foreign');
    });
  });

  describe('without an Origin header', () => {
    it('is missing when nothing says where the request came from', () => {
      expect(requestSource(request({ host: 'app.example.com' }))).toBe('missing');
    });

    it('is missing when Sec-Fetch-Site says same-origin or none', () => {
      expect(requestSource(request({ host: 'app.example.com', secFetchSite: 'same-origin' }))).toBe(
        'missing',
      );
      expect(requestSource(request({ host: 'app.example.com', secFetchSite: 'none' }))).toBe(
        'missing',
      );
    });

    it.each(['cross-site', 'same-site'])(
      'is foreign when Sec-Fetch-Site says %s',
      (secFetchSite) => {
        const source = requestSource(request({ host: 'app.example.com', secFetchSite }));

        expect(source).toBe('foreign');
      },
    );
  });

  describe('with trusted origins', () => {
    const trusted = ['https://admin.example.com', 'http://localhost:5173'];

    it('is same for a trusted Origin on another host', () => {
      const source = requestSource(
        request({ origin: 'http://localhost:5173', host: 'localhost:3000', secure: false }),
        trusted,
      );

      expect(source).toBe('same');
    });

    it('is same for a trusted Origin even when the browser calls it cross-site', () => {
      const source = requestSource(
        request({
          origin: 'https://admin.example.com',
          host: 'api.example.com',
          secFetchSite: 'cross-site',
        }),
        trusted,
      );

      expect(source).toBe('same');
    });

    it('is foreign for an Origin not on the list', () => {
      const source = requestSource(
        request({ origin: 'https://evil.test', host: 'api.example.com' }),
        trusted,
      );

      expect(source).toBe('foreign');
    });

    it('trusts exact origins only, not the same host on another scheme or port', () => {
      const otherScheme = request({ origin: 'http://admin.example.com', host: 'api.example.com' });
      const otherPort = request({
        origin: 'http://localhost:5174',
        host: 'localhost:3000',
        secure: false,
      });

      expect(requestSource(otherScheme, trusted)).toBe('foreign');
      expect(requestSource(otherPort, trusted)).toBe('foreign');
    });

    it('still says missing when there is no Origin at all', () => {
      expect(requestSource(request({ host: 'api.example.com' }), trusted)).toBe('missing');
    });
  });
});
