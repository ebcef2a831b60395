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
  WAIT_MS,
} from './harness.js';

// Stored XSS: markup typed into a task is text wherever the dashboard shows it. No element
// is made from it and no script runs (a dialog would be recorded and fail the test; so
// would a Content-Security-Policy violation, which is what an injected handler causes).

const PAYLOAD = '<img src=x onerror=alert(1)>';
const SCRIPT_PAYLOAD = '<script>alert(2)</script>';

let server: TestServer;
let browser: Browser;
serverAndBrowserForFile((started, launched) => {
  server = started;
  browser = launched;
});

describe('user text in the dashboard', () => {
  it('shows a task titled like an <img> tag as text, and no dialog opens', () =>
    inBrowser(browser, server.url, 'stored xss', async (session) => {
      const mallory = person('Mallory');
      const api = await signUpOutsideBrowser(server.url, mallory);
      const workspace = await api.workspaces.create.mutate({ name: 'Xss Lab', slug: 'xss-lab' });
      await api.projects.create.mutate({ workspaceId: workspace.id, name: 'Web', key: 'WEB' });

      const page = await session.newPage('mallory');
      await signIn(page, mallory);
      await expectHeading(page, 'Xss Lab');
      await page.goto('/w/xss-lab/tasks');
      await expectHeading(page, 'Tasks');

      // Typed into the dashboard's own form, as a person would.
      await page.getByLabel('Title', { exact: true }).fill(PAYLOAD);
      await page.getByLabel('Description', { exact: true }).fill(SCRIPT_PAYLOAD);
      await page.getByRole('button', { name: 'Create task' }).click();
      const row = page.getByRole('link', { name: `WEB-1 ${PAYLOAD}` });
      await visible(row);
      await session.shot(page, 'tasks');

      await row.click();
      await expectHeading(page, `WEB-1 ${PAYLOAD}`);
      await expect
        .poll(() => page.getByLabel('Description', { exact: true }).inputValue())
        .toBe(SCRIPT_PAYLOAD);
      await page.getByLabel('Comment', { exact: true }).fill(PAYLOAD);
      await page.getByRole('button', { name: 'Add comment' }).click();
      // The comment's body is the one element whose whole text is the payload.
      await expect.poll(() => page.getByText(PAYLOAD, { exact: true }).count()).toBe(1);
      await session.shot(page, 'task-detail');

      await page.getByRole('navigation').getByRole('link', { name: 'Board', exact: true }).click();
      await expectHeading(page, 'Board');
      await visible(page.getByText(PAYLOAD, { exact: true }));
      await session.shot(page, 'board');

      // Were an <img src=x onerror=…> made, its handler would run when its request fails:
      // wait until every image of the document is done loading (or failing).
      await page.waitForFunction(() => [...document.images].every((image) => image.complete), {
        timeout: WAIT_MS,
      });
      expect(await page.locator('img[src="x"]').count()).toBe(0);
      expect(await page.locator('script:not([src])').count()).toBe(0);
      expect(session.trouble.dialogs).toEqual([]);
    }));
});
