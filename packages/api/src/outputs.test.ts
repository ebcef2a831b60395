import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { taskOutput } from './outputs.js';
import { procedureSchemas } from './procedure-schemas.js';
import { loadTaskViews } from './queries/tasks.js';
import { appRouter } from './root.js';
import { createHarness, type Harness } from './test/harness.js';

const procedures = [...procedureSchemas(appRouter)];

describe('output schemas', () => {
  it('every query and mutation declares one; subscriptions do not', () => {
    const missing = procedures
      .filter(([, p]) => p.type !== 'subscription' && p.output === undefined)
      .map(([path]) => path);
    const onSubscriptions = procedures
      .filter(([, p]) => p.type === 'subscription' && p.output !== undefined)
      .map(([path]) => path);
    expect(missing).toEqual([]);
    expect(onSubscriptions).toEqual([]);
    expect(procedures.length).toBeGreaterThan(40);
  });

  it('strips keys the schema does not name, so no column leaks by accident', () => {
    const parsed = taskOutput.parse({ ...sampleTask(), secretHash: 'x' });
    expect(parsed).not.toHaveProperty('secretHash');
  });
});

describe('answers through output schemas', () => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await createHarness();
  });
  afterEach(async () => {
    await harness.destroy();
  });

  it('keep the field order the queries produce (parsing rebuilds objects in schema order)', async () => {
    const { api } = await harness.signUpUser();
    const workspace = await api.workspaces.create({ name: 'Acme', slug: 'acme' });
    const project = await api.projects.create({
      workspaceId: workspace.id,
      name: 'Engineering',
      key: 'ENG',
    });
    const created = await api.tasks.create({ projectId: project.id, title: 'Ship it' });
    const [view] = await loadTaskViews(harness.db, workspace.id, [created.id]);
    expect(Object.keys(created)).toEqual(Object.keys(view ?? {}));
    expect(await api.tasks.get({ taskId: created.id })).toEqual({
      ...view,
      parent: null,
      children: { total: 0, done: 0 },
      relations: { blocks: [], blockedBy: [], relates: [], duplicates: [], duplicatedBy: [] },
      mentions: [],
      watcherIds: [created.createdBy],
    });
  });

  it('answer API tokens without their secret once listed', async () => {
    const { api } = await harness.signUpUser();
    const workspace = await api.workspaces.create({ name: 'Acme', slug: 'acme' });
    const created = await api.apiTokens.create({
      workspaceId: workspace.id,
      name: 'CI',
      scope: 'read',
    });
    expect(created.token).toMatch(/\S{20,}/);
    const [listed] = await api.apiTokens.list({ workspaceId: workspace.id });
    const { token: _, ...withoutSecret } = created;
    expect(listed).toEqual(withoutSecret);
    expect(JSON.stringify(listed)).not.toContain(created.token.split('.').at(-1) ?? '');
  });
});

function sampleTask() {
  return {
    id: 't1',
    workspaceId: 'w1',
    projectId: 'p1',
    number: 1,
    title: 'A',
    description: '',
    status: 'todo' as const,
    stateId: 's1',
    priority: 0,
    assigneeId: null,
    dueAt: null,
    version: 1,
    createdBy: 'u1',
    createdAt: '2030-01-01T00:00:00.000Z',
    updatedAt: '2030-01-01T00:00:00.000Z',
    completedAt: null,
    key: 'ENG-1',
    labels: [],
    parentId: null,
  };
}
