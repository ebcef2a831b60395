import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../test/support/server.js';

// The dashboard as the server serves it in production, from a stand-in build: an
// index.html and content-hashed assets, as Vite writes them. The real build is exercised
// by apps/dashboard's browser tests.

const INDEX =
  '<!doctype html><html><head><script type="module" crossorigin src="/assets/index-Ab12Cd34.js"></script>' +
  '<link rel="stylesheet" crossorigin href="/assets/index-Ef56Gh78.css"></head><body><div id="root"></div></body></html>';
const SCRIPT = `console.log(${JSON.stringify('trellis '.repeat(400))});\n`;

const html = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
const dirs: string[] = [];

function fakeBuild(): string {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-dashboard-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), INDEX);
  writeFileSync(join(dir, 'assets', 'index-Ab12Cd34.js'), SCRIPT);
  writeFileSync(join(dir, 'assets', 'index-Ef56Gh78.css'), 'body{margin:0}');
  writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  return dir;
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ dashboardDir: fakeBuild() });
});
afterAll(async () => {
  await server.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function expectJson404(path: string, headers: Record<string, string> = html) {
  const response = await fetch(`${server.url}${path}`, { headers });
  expect(response.status).toBe(404);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(response.headers.get('content-security-policy')).toBeNull();
  return response.json();
}

describe('the dashboard, served from its build', () => {
  it('answers / with index.html, revalidated, under a strict CSP', async () => {
    const response = await fetch(`${server.url}/`, { headers: html });

    expect(response.status).toBe(200);
    expect(await response.text()).toBe(INDEX);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("style-src 'self';");
    expect(csp).toContain("connect-src 'self';");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('same-origin');
  });

  it('answers a repeated request for the page with 304 Not Modified', async () => {
    const first = await fetch(`${server.url}/`, { headers: html });
    const etag = first.headers.get('etag') ?? '';
    expect(etag).toMatch(/^"[\w-]+"$/);

    const again = await fetch(`${server.url}/`, { headers: { ...html, 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it('serves hashed assets with their types, cached for a year', async () => {
    const script = await fetch(`${server.url}/assets/index-Ab12Cd34.js`, {
      headers: { 'accept-encoding': 'identity' },
    });
    expect(script.status).toBe(200);
    expect(await script.text()).toBe(SCRIPT);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(script.headers.get('x-content-type-options')).toBe('nosniff');

    const style = await fetch(`${server.url}/assets/index-Ef56Gh78.css`);
    expect(style.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const icon = await fetch(`${server.url}/favicon.svg`);
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
    expect(icon.headers.get('cache-control')).toBe('no-cache');
  });

  it('sends text assets gzipped to clients that accept it', async () => {
    // node:http, not fetch: fetch would decompress, hiding what was sent.
    const get = () =>
      new Promise<{ headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
        const request = httpGet(
          `${server.url}/assets/index-Ab12Cd34.js`,
          { headers: { 'accept-encoding': 'br, gzip;q=0.8' } },
          (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('end', () =>
              resolve({ headers: response.headers, body: Buffer.concat(chunks) }),
            );
          },
        );
        request.on('error', reject);
      });
    // Compression runs in the background after the start, so the first answers may not be.
    await expect.poll(async () => (await get()).headers['content-encoding']).toBe('gzip');
    const { headers, body } = await get();
    expect(headers.vary).toBe('accept-encoding');
    expect(body.length).toBeLessThan(SCRIPT.length / 4);
    expect(gunzipSync(body).toString()).toBe(SCRIPT);

    const refused = await fetch(`${server.url}/assets/index-Ab12Cd34.js`, {
      headers: { 'accept-encoding': 'gzip;q=0' },
    });
    expect(refused.headers.get('content-encoding')).toBeNull();
  });

  it("answers the app's own routes with index.html when a browser asks for a page", async () => {
    for (const path of ['/sign-in', '/w/acme/tasks?status=todo', '/w/acme/tasks/APP-1']) {
      const response = await fetch(`${server.url}${path}`, { headers: html });
      expect(response.status, path).toBe(200);
      expect(await response.text(), path).toBe(INDEX);
      expect(response.headers.get('content-security-policy'), path).not.toBeNull();
    }
  });

  it('keeps unknown API paths, missing assets and non-page requests as JSON 404s', async () => {
    expect(await expectJson404('/api/v1/no/such/thing')).toEqual({
      error: { code: 'NOT_FOUND', message: 'No route for GET /api/v1/no/such/thing' },
    });
    for (const path of ['/trpc', '/trpc/no.such', '/auth/nothing', '/healthz/x']) {
      const body = await expectJson404(path);
      expect(body).toMatchObject({ error: { data: { code: 'NOT_FOUND' } } });
    }
    await expectJson404('/assets/index-Old00000.js');
    await expectJson404('/w/acme/tasks', { accept: 'application/json' });
    const post = await fetch(`${server.url}/`, { method: 'POST', headers: html });
    expect(post.status).toBe(404);
  });
});

describe('without a dashboard build', () => {
  it('still starts, serves the API, and says at / how to build the dashboard', async () => {
    const missing = join(tmpdir(), 'trellis-no-dashboard-here');
    const bare = await startTestServer({ dashboardDir: missing });
    try {
      const health = await fetch(`${bare.url}/healthz`);
      expect(await health.json()).toEqual({ status: 'ok' });

      const page = await fetch(`${bare.url}/`);
      expect(page.status).toBe(503);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await page.text()).toContain('The dashboard is not built');
      await expect(fetch(`${bare.url}/assets/index.js`).then((r) => r.status)).resolves.toBe(404);
    } finally {
      await bare.close();
    }
  });
});

// Vite writes source maps beside the bundle and points each script and style sheet at its
// own. They hold the dashboard's sources; a production server keeps them to itself.
describe('source maps', () => {
  const MAPPED_SCRIPT = `${SCRIPT}//# sourceMappingURL=index-Ab12Cd34.js.map\n`;
  const MAPPED_STYLE = 'body{margin:0}\n/*# sourceMappingURL=index-Ef56Gh78.css.map */';
  const MAP = JSON.stringify({ version: 3, sources: ['../../src/main.tsx'], mappings: 'AAAA' });

  function mappedBuild(): string {
    const dir = fakeBuild();
    writeFileSync(join(dir, 'assets', 'index-Ab12Cd34.js'), MAPPED_SCRIPT);
    writeFileSync(join(dir, 'assets', 'index-Ab12Cd34.js.map'), MAP);
    writeFileSync(join(dir, 'assets', 'index-Ef56Gh78.css'), MAPPED_STYLE);
    writeFileSync(join(dir, 'assets', 'index-Ef56Gh78.css.map'), MAP);
    return dir;
  }

  async function served(server: TestServer, path: string) {
    const response = await fetch(`${server.url}${path}`, {
      headers: { 'accept-encoding': 'identity' },
    });
    return { status: response.status, text: await response.text(), headers: response.headers };
  }

  it('are neither served nor pointed at when NODE_ENV=production', async () => {
    const production = await startTestServer({
      dashboardDir: mappedBuild(),
      nodeEnv: 'production',
    });
    try {
      for (const path of ['/assets/index-Ab12Cd34.js.map', '/assets/index-Ef56Gh78.css.map']) {
        const map = await served(production, path);
        expect(map.status, path).toBe(404);
        expect(map.text, path).not.toContain('sources');
      }
      const script = await served(production, '/assets/index-Ab12Cd34.js');
      expect(script.status).toBe(200);
      expect(script.text).toBe(SCRIPT);
      expect(script.text).not.toContain('sourceMappingURL');
      expect(script.headers.get('sourcemap')).toBeNull();
      expect(script.headers.get('x-sourcemap')).toBeNull();
      const style = await served(production, '/assets/index-Ef56Gh78.css');
      expect(style.text).toBe('body{margin:0}\n');
    } finally {
      await production.close();
    }
  });

  it('are served as built in development, for whoever debugs the built dashboard', async () => {
    const development = await startTestServer({
      dashboardDir: mappedBuild(),
      nodeEnv: 'development',
    });
    try {
      expect((await served(development, '/assets/index-Ab12Cd34.js')).text).toBe(MAPPED_SCRIPT);
      const map = await served(development, '/assets/index-Ab12Cd34.js.map');
      expect(map.status).toBe(200);
      expect(map.text).toBe(MAP);
    } finally {
      await development.close();
    }
  });
});
