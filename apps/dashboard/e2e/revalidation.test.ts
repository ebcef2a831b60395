import { describe, expect, it } from 'vitest';
import {
  type Browser,
  expectHeading,
  inBrowser,
  person,
  serverAndBrowserForFile,
  signIn,
  signUpOutsideBrowser,
  type TestServer,
  visible,
} from './harness.js';

// The dashboard gains the server's ETags through the browser's own HTTP cache, with no code
// of its own: reloading a page revalidates its queries (304, no body), and after a change
// the page shows the new data, never the kept copy.

let server: TestServer;
let browser: Browser;
serverAndBrowserForFile((started, launched) => {
  server = started;
  browser = launched;
});

/**
 * How many tRPC calls the server has answered with 304 so far (from /metrics; procedures are
 * labelled by name, unlike the dashboard's own files, which have validators of their own).
 */
async function notModifiedCount(): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  let total = 0;
  const calls =
    /^trellis_requests_total\{procedure="[a-zA-Z]+\.[\w.]+",[^}]*status="304"\} (\d+)$/gm;
  for (const match of text.matchAll(calls)) total += Number(match[1]);
  return total;
}

describe('query revalidation in the browser', () => {
  it('revalidates on reload (304) and shows a change at once', () =>
    inBrowser(browser, server.url, 'revalidation', async (session) => {
      const rita = person('Rita');
      const api = await signUpOutsideBrowser(server.url, rita);
      const workspace = await api.workspaces.create.mutate({ name: 'Etag Lab', slug: 'etag-lab' });
      const project = await api.projects.create.mutate({
        workspaceId: workspace.id,
        name: 'Web',
        key: 'WEB',
      });
      await api.tasks.create.mutate({ projectId: project.id, title: 'Kept in the cache' });

      const page = await session.newPage('rita');
      await signIn(page, rita);
      await expectHeading(page, 'Etag Lab');
      await page.goto('/w/etag-lab/tasks');
      await expectHeading(page, 'Tasks');
      await visible(page.getByRole('link', { name: 'WEB-1 Kept in the cache' }));
      const before = await notModifiedCount();

      await page.reload();
      await visible(page.getByRole('link', { name: 'WEB-1 Kept in the cache' }));
      await expect.poll(notModifiedCount).toBeGreaterThan(before);

      await api.tasks.create.mutate({ projectId: project.id, title: 'Added since' });
      await page.reload();
      await visible(page.getByRole('link', { name: 'WEB-2 Added since' }));
      await visible(page.getByRole('link', { name: 'WEB-1 Kept in the cache' }));
    }));
});
