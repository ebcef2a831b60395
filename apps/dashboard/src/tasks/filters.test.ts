import { describe, expect, it } from 'vitest';
import { filtersToSearch, listInput, parseFilters, type TaskFilters, UNASSIGNED } from './filters';

const DEFAULTS: TaskFilters = {
  project: '',
  statuses: [],
  assignee: '',
  label: '',
  q: '',
  sort: 'created',
  order: 'desc',
};

describe('parseFilters', () => {
  it('gives the defaults for an empty query string', () => {
    expect(parseFilters('')).toEqual(DEFAULTS);
  });

  it('reads every filter, statuses repeated', () => {
    expect(
      parseFilters(
        '?project=p1&status=todo&status=done&assignee=u1&label=bug&q=crash&sort=due&order=asc',
      ),
    ).toEqual({
      project: 'p1',
      statuses: ['todo', 'done'],
      assignee: 'u1',
      label: 'bug',
      q: 'crash',
      sort: 'due',
      order: 'asc',
    });
  });

  it('drops unknown and repeated statuses, and falls back to the default sort and order', () => {
    expect(
      parseFilters('status=todo&status=blocked&status=todo&sort=title&order=sideways'),
    ).toEqual({ ...DEFAULTS, statuses: ['todo'] });
  });
});

describe('filtersToSearch', () => {
  it('is empty for the defaults', () => {
    expect(filtersToSearch(DEFAULTS)).toBe('');
  });

  it('leaves defaults out, trims the texts, and reads back as the same filters', () => {
    const filters: TaskFilters = {
      project: 'p1',
      statuses: ['in_progress', 'done'],
      assignee: UNASSIGNED,
      label: ' bug ',
      q: ' login crash ',
      sort: 'priority',
      order: 'desc',
    };

    const search = filtersToSearch(filters);

    expect(search).toBe(
      '?project=p1&status=in_progress&status=done&assignee=none&label=bug&q=login+crash&sort=priority',
    );
    expect(parseFilters(search)).toEqual({ ...filters, label: 'bug', q: 'login crash' });
  });

  it('leaves out texts that are only spaces', () => {
    expect(filtersToSearch({ ...DEFAULTS, label: '  ', q: ' ' })).toBe('');
  });
});

describe('listInput', () => {
  it('asks for the sort and order only when nothing is filtered', () => {
    expect(listInput('ws-1', DEFAULTS, 50)).toEqual({
      workspaceId: 'ws-1',
      sort: 'created',
      order: 'desc',
      limit: 50,
    });
  });

  it('turns each filter into its tasks.list input', () => {
    const filters: TaskFilters = {
      project: 'p1',
      statuses: ['todo'],
      assignee: 'u1',
      label: ' bug ',
      q: ' crash ',
      sort: 'due',
      order: 'asc',
    };

    expect(listInput('ws-1', filters, 20)).toEqual({
      workspaceId: 'ws-1',
      projectId: 'p1',
      status: ['todo'],
      assigneeId: 'u1',
      label: 'bug',
      q: 'crash',
      sort: 'due',
      order: 'asc',
      limit: 20,
    });
  });

  it('asks for unassigned tasks with assigneeId null', () => {
    expect(listInput('ws-1', { ...DEFAULTS, assignee: UNASSIGNED }, 20).assigneeId).toBeNull();
  });
});
