import { describe, expect, it } from 'vitest';
import {
  type Browser,
  expectHeading,
  expectTexts,
  inBrowser,
  type Page,
  person,
  serverAndBrowserForFile,
  signIn,
  signUpVerifiedOutsideBrowser,
  type TestServer,
  textsOf,
  visible,
  WAIT_MS,
} from './harness.js';

// Issue 7's story in a real browser against the real server serving the built dashboard:
// sign up → workspace → project → tasks → filter → open a task → comment → a second
// person's change arrives live → the overview counts it.

let server: TestServer;
let browser: Browser;
serverAndBrowserForFile((started, launched) => {
  server = started;
  browser = launched;
});

/** Creates a task with the "New task" form on the tasks page; waits for it to say `key`. */
async function createTask(
  page: Page,
  key: string,
  { title, status, priority }: { title: string; status: string; priority: string },
) {
  await page.getByLabel('Title', { exact: true }).fill(title);
  await page.getByLabel('Status', { exact: true }).selectOption(status);
  await page.getByLabel('Priority', { exact: true }).selectOption({ label: priority });
  await page.getByRole('button', { name: 'Create task' }).click();
  await expect
    .poll(() => textsOf(page.getByRole('status')), { timeout: WAIT_MS })
    .toContain(`Created ${key}`);
  // The form empties itself once the task exists, ready for the next one.
  await expect
    .poll(() => page.getByLabel('Title', { exact: true }).inputValue(), { timeout: WAIT_MS })
    .toBe('');
}

/** The task list's rows, by their links ("ENG-1 Write the launch plan"). */
function taskLinks(page: Page) {
  return page.getByRole('main').getByRole('link', { name: /^[A-Z]+-\d+ / });
}

/** The overview's count rows for `names` (rows read like "todo 3"), in page order. */
function countRows(page: Page, names: string[]) {
  const row = new RegExp(`^(${names.join('|')}) \\d+$`);
  return page
    .getByRole('main')
    .getByRole('listitem')
    .or(page.getByRole('row'))
    .filter({ hasText: row });
}

const STATUSES = ['backlog', 'todo', 'in_progress', 'done', 'canceled'];
const PRIORITIES = ['urgent', 'high', 'medium', 'low', 'none'];

describe('the dashboard', () => {
  it('takes a new user from sign-up to live updates and stats (1280 px)', () =>
    inBrowser(browser, server.url, 'main flow', async (session) => {
      const ada = person('Ada');
      const page = await session.newPage('ada');

      // Signed out, the app sends people to sign in; from there, to sign up.
      await page.goto('/');
      await page.waitForURL('**/sign-in');
      await expectHeading(page, 'Sign in to Trellis');
      await session.shot(page, 'sign-in');
      await page.getByRole('link', { name: 'Create an account' }).click();
      await expectHeading(page, 'Create your Trellis account');
      await page.getByLabel('Name', { exact: true }).fill(ada.name);
      await page.getByLabel('Email', { exact: true }).fill(ada.email);
      await page.getByLabel('Password', { exact: true }).fill(ada.password);
      await page.getByRole('button', { name: 'Sign up', exact: true }).click();

      // A new account has no workspace: the first page offers to create one.
      await expectHeading(page, 'Create your first workspace');
      await page.getByLabel('Workspace name', { exact: true }).fill('Acme Robotics');
      await expect
        .poll(() => page.getByLabel('Slug', { exact: true }).inputValue())
        .toBe('acme-robotics');
      await page.getByRole('button', { name: 'Create workspace' }).click();
      await page.waitForURL('**/w/acme-robotics');
      await expectHeading(page, 'Acme Robotics');
      await session.shot(page, 'overview-empty');

      // Projects.
      const nav = page.getByRole('navigation');
      await nav.getByRole('link', { name: 'Projects', exact: true }).click();
      await expectHeading(page, 'Projects');
      await page.getByLabel('Project name', { exact: true }).fill('Engineering');
      await page.getByLabel('Key', { exact: true }).fill('ENG');
      await page.getByRole('button', { name: 'Create project' }).click();
      await visible(page.getByRole('link', { name: 'Engineering' }));
      await session.shot(page, 'projects');

      // Tasks: three, in two statuses.
      await nav.getByRole('link', { name: 'Tasks', exact: true }).click();
      await expectHeading(page, 'Tasks');
      await createTask(page, 'ENG-1', {
        title: 'Write the launch plan',
        status: 'todo',
        priority: 'high',
      });
      await createTask(page, 'ENG-2', {
        title: 'Order the robot arms',
        status: 'todo',
        priority: 'medium',
      });
      await createTask(page, 'ENG-3', {
        title: 'Calibrate the launch sensors',
        status: 'in_progress',
        priority: 'urgent',
      });
      await expect
        .poll(() => textsOf(taskLinks(page)), { timeout: WAIT_MS })
        .toEqual([
          'ENG-3 Calibrate the launch sensors',
          'ENG-2 Order the robot arms',
          'ENG-1 Write the launch plan',
        ]);
      await session.shot(page, 'tasks');

      // Filter: search text and a status; the filters live in the query string.
      await page.getByLabel('Search', { exact: true }).fill('launch');
      await expectTexts(taskLinks(page), [
        'ENG-3 Calibrate the launch sensors',
        'ENG-1 Write the launch plan',
      ]);
      await page.getByRole('checkbox', { name: 'todo', exact: true }).check();
      await expectTexts(taskLinks(page), ['ENG-1 Write the launch plan']);
      const query = new URL(page.url()).searchParams;
      expect(query.get('q')).toBe('launch');
      expect([...query.values()].join(' ')).toContain('todo');
      await session.shot(page, 'tasks-filtered');
      // The filtered list survives a reload: the server answers the deep link with the app.
      await page.reload();
      await expectTexts(taskLinks(page), ['ENG-1 Write the launch plan']);

      // Open the task and comment on it.
      await taskLinks(page).filter({ hasText: 'Write the launch plan' }).click();
      await expectHeading(page, 'ENG-1 Write the launch plan');
      const taskUrl = page.url();
      await page.getByLabel('Comment', { exact: true }).fill('Draft is in the shared folder.');
      await page.getByRole('button', { name: 'Add comment' }).click();
      await visible(page.getByText('Draft is in the shared folder.', { exact: true }));
      await session.shot(page, 'task-detail');

      // A second person (their email verified: only a verified address accepts invites),
      // invited through the members page, edits the task elsewhere.
      const grace = person('Grace');
      const graceApi = await signUpVerifiedOutsideBrowser(server, grace);
      await nav.getByRole('link', { name: 'Members', exact: true }).click();
      await expectHeading(page, 'Members');
      await page.getByLabel('Email', { exact: true }).fill(grace.email);
      await page.getByRole('button', { name: 'Invite' }).click();
      const token = await visible(
        page.getByRole('status').filter({ hasText: 'Invite token' }).getByRole('code'),
      );
      await graceApi.members.acceptInvite.mutate({
        inviteToken: (await token.textContent()) ?? '',
      });
      await session.shot(page, 'members');

      await page.goBack();
      await expectHeading(page, 'ENG-1 Write the launch plan');
      // Marks this document: a reload would lose the mark.
      await page.evaluate(() => {
        (window as unknown as { notReloaded: boolean }).notReloaded = true;
      });

      const other = await session.newPage('grace');
      await signIn(other, grace);
      await expectHeading(other, 'Acme Robotics');
      await other.goto(taskUrl);
      await expectHeading(other, 'ENG-1 Write the launch plan');
      await other.getByLabel('Title', { exact: true }).fill('Write the launch plan (v2)');
      await other.getByLabel('Status', { exact: true }).selectOption('done');
      await other.getByRole('button', { name: 'Save' }).click();
      await visible(other.getByText(/^Saved version \d+$/));
      await session.shot(other, 'task-edited');

      // The first browser sees the change arrive, without a reload.
      await expectHeading(page, 'ENG-1 Write the launch plan (v2)');
      await expect
        .poll(() => page.getByLabel('Status', { exact: true }).inputValue(), { timeout: WAIT_MS })
        .toBe('done');
      expect(
        await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded),
      ).toBe(true);
      await session.shot(page, 'task-live');

      // The overview counts what happened: 1 todo left over from the filter's two, …
      await nav.getByRole('link', { name: 'Overview', exact: true }).click();
      await expectHeading(page, 'Acme Robotics');
      await expectTexts(countRows(page, STATUSES), [
        'backlog 0',
        'todo 1',
        'in_progress 1',
        'done 1',
        'canceled 0',
      ]);
      await expectTexts(countRows(page, PRIORITIES), [
        'urgent 1',
        'high 1',
        'medium 1',
        'low 0',
        'none 0',
      ]);
      await visible(page.getByText('3 tasks', { exact: true }));
      await visible(page.getByText('2 open', { exact: true }));
      await session.shot(page, 'overview');

      // … and stays live: Grace's next change moves the counts on Ada's open overview.
      await other.getByLabel('Status', { exact: true }).selectOption('canceled');
      await other.getByRole('button', { name: 'Save' }).click();
      await expectTexts(countRows(page, STATUSES), [
        'backlog 0',
        'todo 1',
        'in_progress 1',
        'done 0',
        'canceled 1',
      ]);
    }));
});
