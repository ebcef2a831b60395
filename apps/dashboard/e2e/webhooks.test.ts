import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/src/config.js';
import {
  startWebhookReceiver,
  type WebhookReceiver,
} from '../../server/test/support/webhook-receiver.js';
import {
  type Browser,
  expectHeading,
  horizontalOverflow,
  inBrowser,
  NARROW,
  type Page,
  person,
  serverAndBrowserForFile,
  signIn,
  signUpOutsideBrowser,
  signUpVerifiedOutsideBrowser,
  type TestServer,
  textsOf,
  visible,
  WAIT_MS,
} from './harness.js';

// The webhooks page against a real receiver on 127.0.0.1 (hence WEBHOOK_ALLOW_PRIVATE):
// an admin adds an endpoint, copies its secret (the receiver verifies every request with
// it), sends a test the receiver refuses, reads the attempt and redelivers it; the server
// disabling an endpoint whose retries ran out (a 1 s window) shows why, and "Enable again"
// sends the event that failed. Members see no Webhooks page.

let server: TestServer;
let browser: Browser;
serverAndBrowserForFile(
  (started, launched) => {
    server = started;
    browser = launched;
  },
  {
    webhooks: loadConfig({
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_RETRY_SCHEDULE: '100ms',
      WEBHOOK_RETRY_WINDOW: '1s',
    }).webhooks,
  },
);

let receiver: WebhookReceiver;
beforeAll(async () => {
  receiver = await startWebhookReceiver();
});
afterAll(() => receiver?.close());

/** The delivery table's rows (newest first) as text, e.g. "… webhook.ping <id> 1 (test)
 * failed HTTP 500 3 ms HTTP 500 Show response Redeliver …". */
function deliveryRows(page: Page, url: string) {
  return page
    .getByRole('article', { name: url })
    .getByRole('table', { name: /^Deliveries to/ })
    .locator('tbody tr');
}

/** A new person owning workspace `name` (slug: `name` in lower case) with one project. */
async function ownerWithProject(personName: string, name: string) {
  const who = person(personName);
  const api = await signUpOutsideBrowser(server.url, who);
  const workspace = await api.workspaces.create.mutate({ name, slug: name.toLowerCase() });
  const project = await api.projects.create.mutate({
    workspaceId: workspace.id,
    name: 'Work',
    key: 'WRK',
  });
  return { who, api, workspace, project };
}

/** Goes to the Webhooks page by the navigation. */
async function openWebhooks(page: Page) {
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: 'Webhooks' })
    .click();
  await expectHeading(page, 'Webhooks');
}

describe('the webhooks page', () => {
  it('adds an endpoint, tests it, redelivers a failed attempt, rotates, edits and deletes', () =>
    inBrowser(browser, server.url, 'webhooks', async (session) => {
      const { who: ada, api, workspace, project } = await ownerWithProject('Ada', 'Hooks');
      const page = await session.newPage('ada');
      await signIn(page, ada);
      await expectHeading(page, 'Hooks');
      await openWebhooks(page);
      await visible(page.getByText('No endpoints yet.'));

      // A URL the server refuses even with private targets allowed: its message on the field.
      const form = page.getByRole('region', { name: 'New endpoint' });
      const url = form.getByLabel('URL', { exact: true });
      await url.fill('http://169.254.169.254/latest');
      await form.getByRole('button', { name: 'Add endpoint' }).click();
      await visible(form.getByText(/points at a cloud metadata address/));
      expect(await url.getAttribute('aria-invalid')).toBe('true');

      // No type ticked is refused before sending; two ticked are the filter.
      await url.fill(receiver.url);
      await form.getByLabel('Description', { exact: true }).fill('CI receiver');
      await form.getByLabel('Only the types ticked below').check();
      await form.getByRole('button', { name: 'Add endpoint' }).click();
      await visible(form.getByText('Choose at least one event type, or all events.'));
      await form.getByLabel('task.created').check();
      await form.getByLabel('task.updated').check();
      await session.shot(page, 'event-types');
      await form.getByRole('button', { name: 'Add endpoint' }).click();
      const secretBox = page.getByRole('status').filter({ hasText: 'Signing secret of' });
      await visible(secretBox.getByText('it will not be shown again'));
      const secret = (await secretBox.getByRole('code').textContent()) ?? '';
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);
      receiver.secrets = [secret];

      const card = page.getByRole('article', { name: receiver.url });
      await visible(card.getByText('CI receiver'));
      await visible(card.getByText(/^Events: task\.created, task\.updated/));
      await session.shot(page, 'endpoint-added');

      // The test ping is refused the first time (500, body "no"), answered 204 after.
      receiver.respond = ({ triesBefore }) => (triesBefore === 0 ? 500 : 204);
      await card.getByRole('button', { name: 'Send test' }).click();
      await visible(
        card.getByRole('status').filter({ hasText: /^Test failed \(HTTP 500, \d+ ms\)$/ }),
      );
      expect(receiver.received).toHaveLength(1);
      const ping = receiver.received[0];
      expect(ping?.event?.type).toBe('webhook.ping');
      const pingId = ping?.id ?? '';

      await card.getByRole('button', { name: 'Show deliveries' }).click();
      const rows = deliveryRows(page, receiver.url);
      await expect
        .poll(() => textsOf(rows), { timeout: WAIT_MS })
        .toEqual([
          expect.stringMatching(
            new RegExp(
              `webhook\\.ping ${pingId} 1 \\(test\\) failed HTTP 500 \\d+ ms HTTP 500 Show`,
            ),
          ),
        ]);
      await rows.first().getByText('Show').click();
      await visible(rows.first().locator('details pre').getByText('no', { exact: true }));

      await rows
        .first()
        .getByRole('button', { name: /^Redeliver/ })
        .click();
      await visible(
        card
          .getByRole('status')
          .filter({ hasText: /^Redelivered webhook\.ping: delivered \(HTTP 204/ }),
      );
      await receiver.until((received) => received.length === 2);
      expect(receiver.received[1]).toMatchObject({ id: pingId, status: 204 });
      await expect
        .poll(() => textsOf(rows), { timeout: WAIT_MS })
        .toEqual([
          expect.stringMatching(
            new RegExp(
              `webhook\\.ping ${pingId} 2 \\(redelivered\\) delivered HTTP 204 \\d+ ms — empty`,
            ),
          ),
          expect.stringMatching(/webhook\.ping .* 1 \(test\) failed HTTP 500/),
        ]);
      await session.shot(page, 'redelivered');

      // What the worker sends shows up too ("sent"); a reload fetches it at once.
      receiver.respond = () => 204;
      const task = await api.tasks.create.mutate({ projectId: project.id, title: 'Ship it' });
      await receiver.until((received) => received.some((r) => r.event?.type === 'task.created'));
      await page.reload();
      await card.getByRole('button', { name: 'Show deliveries' }).click();
      await expect
        .poll(async () => (await textsOf(rows))[0], { timeout: WAIT_MS })
        .toMatch(/task\.created .* 1 \(sent\) delivered HTTP 204/);
      expect(
        receiver.received.find((r) => r.event?.type === 'task.created')?.event?.data,
      ).toMatchObject({ id: task.id, title: 'Ship it' });

      // The table scrolls inside its own box on a phone; the page does not.
      await page.setViewportSize(NARROW);
      await session.shot(page, 'narrow');
      const size = await horizontalOverflow(page);
      expect(size.culprits).toEqual([]);
      expect(size.scroll).toBeLessThanOrEqual(size.inner);
      await page.setViewportSize({ width: 1280, height: 800 });

      // A new secret, shown once; the old one keeps signing for a day; the new one signs.
      await card.getByRole('button', { name: 'Rotate secret' }).click();
      const rotated = card.getByRole('status').filter({ hasText: 'New signing secret of' });
      const newSecret = (await (await visible(rotated.getByRole('code'))).textContent()) ?? '';
      expect(newSecret).toMatch(/^whsec_/);
      expect(newSecret).not.toBe(secret);
      await visible(card.getByText(/keeps working beside the new one for 24 hours/));
      await visible(card.getByText(/previous signing secret also signs until/));
      receiver.secrets = [newSecret];
      await card.getByRole('button', { name: 'Send test' }).click();
      await visible(card.getByRole('status').filter({ hasText: /^Test delivered \(HTTP 204/ }));

      // Edit: every event type, a new description.
      await card.getByRole('button', { name: 'Edit' }).click();
      const edit = card.getByRole('form', { name: `Edit ${receiver.url}` });
      await edit.getByLabel('Description', { exact: true }).fill('Everything');
      await edit.getByLabel('All events, also types added later').check();
      await edit.getByRole('button', { name: 'Save' }).click();
      await visible(card.getByText(/^Events: All events/));
      await visible(card.getByText('Everything', { exact: true }));

      // Disable, enable, delete (after a confirmation).
      await card.getByRole('button', { name: 'Disable' }).click();
      await visible(card.getByText('Disabled by an admin: nothing is sent until it is enabled.'));
      await card.getByRole('button', { name: 'Enable', exact: true }).click();
      await visible(card.getByRole('button', { name: 'Disable' }));
      await card.getByRole('button', { name: 'Delete' }).click();
      await card.getByRole('button', { name: 'Yes, delete' }).click();
      await visible(page.getByText('No endpoints yet.'));
      expect(await api.webhooks.list.query({ workspaceId: workspace.id })).toEqual([]);
    }));

  it('shows why the server disabled an endpoint, and enables it again', () =>
    inBrowser(browser, server.url, 'webhooks disabled', async (session) => {
      const outage = await startWebhookReceiver();
      try {
        const { who: kim, api, workspace, project } = await ownerWithProject('Kim', 'Outage');
        const { secret } = await api.webhooks.create.mutate({
          workspaceId: workspace.id,
          url: outage.url,
        });
        outage.secrets = [secret];
        outage.respond = () => 503;
        await api.tasks.create.mutate({ projectId: project.id, title: 'Down' });
        // Retries every 100 ms for 1 s, then the server gives up on the endpoint.
        await expect
          .poll(async () => (await api.webhooks.list.query({ workspaceId: workspace.id }))[0], {
            timeout: WAIT_MS,
          })
          .toMatchObject({ enabled: false, disabledReason: expect.stringMatching(/HTTP 503/) });

        const page = await session.newPage('kim');
        await signIn(page, kim);
        await expectHeading(page, 'Outage');
        await openWebhooks(page);
        const card = page.getByRole('article', { name: outage.url });
        await visible(card.getByText(/^Disabled by the server:/));
        await visible(card.getByText(/retry window ran out.*HTTP 503/));
        await session.shot(page, 'disabled-by-server');

        outage.respond = () => 204;
        await card.getByRole('button', { name: 'Enable again' }).click();
        await outage.until((received) => received.some((r) => r.status === 204));
        expect(outage.deliveredIds()).toHaveLength(1);
        await visible(card.getByRole('button', { name: 'Disable' }));
        expect(await card.getByText(/^Disabled by the server:/).count()).toBe(0);
        await card.getByRole('button', { name: 'Show deliveries' }).click();
        await expect
          .poll(async () => (await textsOf(deliveryRows(page, outage.url)))[0], {
            timeout: WAIT_MS,
          })
          .toMatch(/task\.created .* \(sent\) delivered HTTP 204/);
      } finally {
        await outage.close();
      }
    }));

  it('is for admins: members see no entry, and the page says so', () =>
    inBrowser(browser, server.url, 'webhooks members', async (session) => {
      const owner = person('Olga');
      const ownerApi = await signUpOutsideBrowser(server.url, owner);
      const workspace = await ownerApi.workspaces.create.mutate({ name: 'Team', slug: 'team' });
      const bob = person('Bob');
      const bobApi = await signUpVerifiedOutsideBrowser(server, bob);
      const { inviteToken } = await ownerApi.members.invite.mutate({
        workspaceId: workspace.id,
        email: bob.email,
        role: 'member',
      });
      await bobApi.members.acceptInvite.mutate({ inviteToken });

      const page = await session.newPage('bob');
      await signIn(page, bob);
      await expectHeading(page, 'Team');
      const nav = page.getByRole('navigation', { name: 'Main' });
      await visible(nav.getByRole('link', { name: 'API tokens' }));
      expect(await nav.getByRole('link', { name: 'Webhooks' }).count()).toBe(0);
      await page.goto('/w/team/webhooks');
      await expectHeading(page, 'Webhooks');
      await visible(page.getByText("Only admins and owners manage this workspace's webhooks."));
    }));
});
