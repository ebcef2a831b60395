import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';

// The API server the dev server proxies to (`pnpm dev` starts both).
const apiPort = process.env.TRELLIS_API_PORT ?? '3000';
const target = `http://127.0.0.1:${apiPort}`;

// Same-origin in dev as in production: the session cookie and the server's Origin check
// both need the browser to talk to one origin, so API paths go through Vite's proxy.
// `/trpc` carries the tasks.onChange event stream; the proxy passes it through unbuffered.
const proxy = Object.fromEntries(
  ['/trpc', '/api', '/auth', '/healthz'].map((path) => [
    path,
    { target, changeOrigin: false, xfwd: true },
  ]),
);

export default defineConfig({
  plugins: [react()],
  resolve: {
    // Workspace packages (@trellis/client) from their TypeScript source, as the server's
    // dev mode does: no client build needed before `vite` or `vite build`.
    conditions: ['@trellis/source', ...defaultClientConditions],
  },
  server: { host: '127.0.0.1', port: 5173, strictPort: false, proxy },
  preview: { host: '127.0.0.1', proxy },
  // Source maps are written for every build, which serves every mode: a server in
  // production neither serves them nor leaves the bundle pointing at them
  // (apps/server/src/dashboard.ts); elsewhere they are there for whoever debugs the build.
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
});
