import { describe, expect, it } from 'vitest';
import { draftOf, patchOf } from './draft';
import type { Task } from './taskFields';

const TASK: Task = {
  id: 'task-1',
  workspaceId: 'ws-1',
  projectId: 'project-1',
  number: 7,
  key: 'ENG-7',
  title: 'Ship the parser',
  description: 'All of it.',
  status: 'todo',
  stateId: 'state-todo',
  priority: 2,
  assigneeId: null,
  labels: ['backend'],
  dueAt: null,
  version: 3,
  createdBy: 'user-1',
  createdAt: '2030-01-01T00:00:00.000Z',
  updatedAt: '2030-01-02T00:00:00.000Z',
  completedAt: null,
  parentId: null,
};

describe('draftOf', () => {
  it('takes the editable fields, nobody assigned as ""', () => {
    expect(draftOf(TASK)).toEqual({
      title: 'Ship the parser',
      description: 'All of it.',
      status: 'todo',
      priority: 2,
      assigneeId: '',
    });
    expect(draftOf({ ...TASK, assigneeId: 'user-2' }).assigneeId).toBe('user-2');
  });
});

describe('patchOf', () => {
  it('is empty when nothing changed', () => {
    expect(patchOf(TASK, draftOf(TASK))).toEqual({});
  });

  it('holds only the fields that changed', () => {
    const draft = { ...draftOf(TASK), title: 'Ship it', priority: 4 };

    expect(patchOf(TASK, draft)).toEqual({ title: 'Ship it', priority: 4 });
  });

  it('sends every changed field, status and description included', () => {
    const draft = { ...draftOf(TASK), description: '', status: 'done' as const };

    expect(patchOf(TASK, draft)).toEqual({ description: '', status: 'done' });
  });

  it('assigns with an id and unassigns with null', () => {
    const assigned = { ...TASK, assigneeId: 'user-2' };

    expect(patchOf(TASK, { ...draftOf(TASK), assigneeId: 'user-2' })).toEqual({
      assigneeId: 'user-2',
    });
    expect(patchOf(assigned, { ...draftOf(assigned), assigneeId: '' })).toEqual({
      assigneeId: null,
    });
    expect(patchOf(assigned, draftOf(assigned))).toEqual({});
  });
});
