import { afterEach, beforeEach } from 'vitest';
import type { LogEventType } from '../events.js';
import type { AttemptResult } from '../webhooks/deliver.js';
import {
  startWebhookWorker,
  type WebhookWorker,
  type WebhookWorkerOptions,
} from '../webhooks/worker.js';
import { createHarness, type Harness, type TestClock } from './harness.js';
import { type SignedUp, teamFixtures } from './teams.js';
import { type Receiver, type Respond, startReceiver } from './webhook-receiver.js';
import { testWebhookSettings } from './webhook-settings.js';

// What the webhook and delivery-worker tests arrange: a harness whose clock is the real one
// (Standard Webhooks receivers refuse timestamps 5 minutes off the real time) but can be
// moved forward, receivers and workers that are closed after each test, and a team.

/** The real time, plus however far the test has moved it. */
function movableClock(): TestClock {
  let offset = 0;
  return {
    now: () => new Date(Date.now() + offset),
    advance: (ms) => {
      offset += ms;
    },
  };
}

/** A worker that tells the test of its attempts (each resolved once written down). */
export interface TestWorker extends WebhookWorker {
  readonly attempts: readonly AttemptResult[];
  /** Resolves once this worker has written down `count` attempts. */
  attempted(count: number): Promise<AttemptResult[]>;
}

/** What every webhook test gets. */
export interface WebhookWorld {
  harness: Harness;
  /** The procedures' clock (the real time unless advanced). */
  clock: TestClock;
  /** A receiver on 127.0.0.1, closed after the test. */
  receiver(respond?: Respond): Promise<Receiver>;
  /**
   * A delivery worker on the test's database (polling every 20 ms), closed after the test;
   * an error it survives fails the test, unless the test passes its own `onError`.
   */
  worker(options?: Partial<WebhookWorkerOptions>): TestWorker;
  /** An owner's workspace with an admin, a member, a viewer, an outsider and project ENG. */
  team(): Promise<Team>;
  /** A team whose workspace has one endpoint (of `events`), sending to a new receiver. */
  hooked(options?: { respond?: Respond; events?: LogEventType[] }): Promise<HookedTeam>;
}

/** What {@link WebhookWorld.team} makes. */
export interface Team {
  owner: SignedUp;
  admin: SignedUp;
  member: SignedUp;
  viewer: SignedUp;
  outsider: SignedUp;
  workspaceId: string;
  projectId: string;
}

/** A team with an endpoint: its id and secret, and the receiver it sends to. */
export interface HookedTeam extends Team {
  receiver: Receiver;
  webhookId: string;
  secret: string;
}

/**
 * Creates tasks T1…T`count` in the team's project, as its owner; answers the ids of the
 * workspace's `task.created` events so far, oldest first.
 */
export async function makeTasks(team: Team, count: number): Promise<string[]> {
  const { owner, workspaceId, projectId } = team;
  for (let i = 1; i <= count; i += 1) await owner.api.tasks.create({ projectId, title: `T${i}` });
  const { items } = await owner.api.events.list({
    workspaceId,
    types: ['task.created'],
    limit: 100,
  });
  return items.map((event) => event.id);
}

/** A fresh {@link WebhookWorld} for every test of the calling file. */
export function webhookWorldForEachTest(use: (world: WebhookWorld) => void): void {
  let cleanups: (() => Promise<void>)[] = [];
  let errors: unknown[] = [];
  let harness: Harness | undefined;
  beforeEach(async () => {
    const clock = movableClock();
    const current = await createHarness({ clock: clock.now });
    harness = current;
    const team = async (): Promise<Team> => {
      const { workspace: _, ...made } = await teamFixtures(() => current).team();
      const outsider = await current.signUpUser('Otto Outsider');
      const { workspaceId } = made;
      const project = await made.owner.api.projects.create({
        workspaceId,
        name: 'Eng',
        key: 'ENG',
      });
      return { ...made, outsider, projectId: project.id };
    };
    const world: WebhookWorld = {
      harness: current,
      clock,
      async receiver(respond) {
        const receiver = await startReceiver(respond);
        cleanups.push(() => receiver.close());
        return receiver;
      },
      worker(options = {}) {
        const attempts: AttemptResult[] = [];
        const waiters = new Set<() => void>();
        const worker = startWebhookWorker({
          db: current.db,
          settings: testWebhookSettings,
          pollMs: 20,
          ...options,
          onAttempt(result) {
            attempts.push(result);
            options.onAttempt?.(result);
            for (const wake of waiters) wake();
          },
          // A test that expects errors handles them; any other error fails the test.
          onError: options.onError ?? ((error) => errors.push(error)),
        });
        // Workers stop before their receivers close and their database goes.
        cleanups.unshift(() => worker.close());
        return {
          ...worker,
          attempts,
          attempted: (count) =>
            new Promise((resolve) => {
              const check = () => {
                if (attempts.length < count) return;
                waiters.delete(check);
                resolve(attempts.slice(0, count));
              };
              waiters.add(check);
              check();
            }),
        };
      },
      team,
      async hooked({ respond, events } = {}) {
        const made = await team();
        const receiver = await world.receiver(respond);
        const { id, secret } = await made.owner.api.webhooks.create({
          workspaceId: made.workspaceId,
          url: receiver.url,
          events,
        });
        return { ...made, receiver, webhookId: id, secret };
      },
    };
    use(world);
  });
  afterEach(async () => {
    for (const cleanup of cleanups) await cleanup();
    cleanups = [];
    await harness?.destroy();
    harness = undefined;
    const survived = errors;
    errors = [];
    if (survived.length > 0) {
      throw new AggregateError(survived, 'A delivery worker reported errors during the test');
    }
  });
}
