// Saved views and webhooks: a webhook endpoint receives the events of shared views, and
// nothing at all of a personal one (not its name, not that it exists). A real server and a
// real receiver on 127.0.0.1, verifying each delivery's signature.
import type { RouterOutputs } from '@trellis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { accountsOn, type Team, unique } from '../support/accounts.js';
import { serveThisFile } from '../support/http.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';
import { dataOf } from '../support/wire.js';

type View = RouterOutputs['views']['get'];
type Secret = RouterOutputs['webhooks']['create'];

const wire = serveThisFile({ webhooks: { ...loadConfig({}).webhooks, allowPrivate: true } });
const { mutate } = wire;
const { makeTeam } = accountsOn(wire);

let receiver: WebhookReceiver;
let team: Team;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  team = await makeTeam();
  const hook = dataOf<Secret>(
    await mutate(
      'webhooks.create',
      { workspaceId: team.workspaceId, url: receiver.url },
      { token: team.admin.token },
    ),
  );
  receiver.secrets.push(hook.secret);
});
afterAll(async () => {
  await receiver.close();
});

describe('views and webhooks', () => {
  it('delivers shared views’ events and nothing of personal views', async () => {
    const token = team.member.token;
    const save = async (fields: Record<string, unknown>) =>
      dataOf<View>(
        await mutate(
          'views.create',
          { workspaceId: team.workspaceId, filters: { label: 'x' }, ...fields },
          { token },
        ),
      );
    const secret = unique('Layoffs list');
    const personal = await save({ name: secret });
    dataOf(await mutate('views.update', { viewId: personal.id, name: `${secret} v2` }, { token }));
    dataOf(await mutate('views.delete', { viewId: personal.id }, { token }));
    // Then a shared view: deliveries go in log order, so once its event is in, every
    // earlier entry's would be too.
    const shared = await save({ name: unique('Team board'), shared: true });
    const isShared = (r: WebhookReceiver['received'][number]) =>
      r.event?.type === 'view.created' && (r.event.data as View).id === shared.id;
    await receiver.until((received) => received.some(isShared));

    const views = receiver.received.filter((r) => r.event?.type.startsWith('view.'));
    expect(views.map((r) => [r.event?.type, r.event?.data])).toEqual([['view.created', shared]]);
    for (const r of receiver.received) {
      expect(r.event, 'every delivery verifies').not.toBeNull();
      expect(r.body).not.toContain(secret);
      expect(r.body).not.toContain(personal.id);
    }
  });
});
