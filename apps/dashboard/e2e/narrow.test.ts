import { describe, expect, it } from 'vitest';
import {
  type Browser,
  expectHeading,
  horizontalOverflow,
  inBrowser,
  NARROW,
  person,
  serverAndBrowserForFile,
  signIn,
  signUpOutsideBrowser,
  type TestServer,
} from './harness.js';

// A phone's width (390 px): every main page fits without sideways scrolling of the page
// (a wide part may scroll inside its own box, like the board's columns). Lin's email is not
// verified, so every signed-in page also shows the verification notice.

let server: TestServer;
let browser: Browser;
serverAndBrowserForFile((started, launched) => {
  server = started;
  browser = launched;
});

describe('the dashboard at 390 px', () => {
  it('shows the main pages without horizontal overflow', () =>
    inBrowser(browser, server.url, 'narrow pages', async (session) => {
      const lin = person('Lin');
      const api = await signUpOutsideBrowser(server.url, lin);
      const workspace = await api.workspaces.create.mutate({
        name: 'Narrow Workspace With A Rather Long Name',
        slug: 'narrow',
      });
      const project = await api.projects.create.mutate({
        workspaceId: workspace.id,
        name: 'Mobile',
        key: 'MOB',
      });
      const long = 'A task title long enough to wrap several times on a small phone screen';
      const task = await api.tasks.create.mutate({
        projectId: project.id,
        title: long,
        description: `See https://example.com/${'a-long-unbroken-path-segment'.repeat(4)}`,
        labels: ['mobile', 'layout'],
      });
      await api.tasks.create.mutate({ projectId: project.id, title: 'Second', status: 'done' });

      const page = await session.newPage('lin', NARROW);
      // Every page is measured before failing, so one run names all that overflow.
      const overflowing: string[] = [];
      const fits = async (label: string) => {
        await session.shot(page, label);
        const size = await horizontalOverflow(page);
        if (size.scroll > size.inner) {
          overflowing.push(`${label}: ${size.scroll} px wide (${size.culprits.join(', ')})`);
        }
      };

      await page.goto('/sign-in');
      await expectHeading(page, 'Sign in to Trellis');
      await fits('sign-in');
      await page.goto('/sign-up');
      await expectHeading(page, 'Create your Trellis account');
      await fits('sign-up');
      // The pages of mailed links and "Forgot your password?", signed out.
      const signedOut: [label: string, path: string, heading: string][] = [
        ['forgot-password', '/forgot-password', 'Reset your password'],
        ['reset-password', '/reset-password#token=trp_example', 'Choose a new password'],
        ['verify-email', '/verify-email#token=trv_example', 'This link did not work'],
      ];
      for (const [label, path, heading] of signedOut) {
        await page.goto(path);
        await expectHeading(page, heading);
        await fits(label);
      }

      await signIn(page, lin);
      await expectHeading(page, workspace.name);
      await fits('overview');
      const pages: [label: string, path: string, heading: string][] = [
        ['projects', '/w/narrow/projects', 'Projects'],
        ['tasks', '/w/narrow/tasks', 'Tasks'],
        ['task-detail', `/w/narrow/tasks/${task.id}`, `MOB-1 ${long}`],
        ['board', '/w/narrow/board', 'Board'],
        ['members', '/w/narrow/members', 'Members'],
        ['tokens', '/w/narrow/tokens', 'API tokens'],
        ['webhooks', '/w/narrow/webhooks', 'Webhooks'],
        ['account', '/account', 'Your account'],
      ];
      for (const [label, path, heading] of pages) {
        await page.goto(path);
        await expectHeading(page, heading);
        await fits(label);
      }
      expect(overflowing).toEqual([]);
    }));
});
