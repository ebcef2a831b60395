import { describe, expect, it } from 'vitest';
import {
  EVENT_TYPES,
  eventsInput,
  filterOf,
  filterProblem,
  filterText,
  toggleType,
} from './eventTypes';

describe('event types', () => {
  it('lists each type once, dotted', () => {
    expect(new Set(EVENT_TYPES).size).toBe(EVENT_TYPES.length);
    for (const type of EVENT_TYPES) expect(type).toMatch(/^[a-z_]+\.[a-z_]+$/);
    expect(EVENT_TYPES).toContain('task.created');
  });

  it('reads null as every type and a list as those types, dropping unknown ones', () => {
    expect(filterOf(null)).toEqual({ all: true, types: [] });
    expect(filterOf(['task.updated', 'made.up', 'task.created'])).toEqual({
      all: false,
      types: ['task.created', 'task.updated'],
    });
  });

  it('sends null for every type, else the chosen types in the API’s order', () => {
    expect(eventsInput({ all: true, types: ['task.created'] })).toBeNull();
    expect(eventsInput({ all: false, types: ['comment.created', 'task.created'] })).toEqual([
      'task.created',
      'comment.created',
    ]);
  });

  it('ticks and unticks a type without repeating it', () => {
    let filter = toggleType({ all: false, types: [] }, 'task.created', true);
    filter = toggleType(filter, 'task.created', true);
    expect(filter.types).toEqual(['task.created']);
    expect(toggleType(filter, 'task.created', false).types).toEqual([]);
  });

  it('refuses a filter of no types before it is sent', () => {
    expect(filterProblem({ all: false, types: [] })).toMatch(/at least one event type/);
    expect(filterProblem({ all: true, types: [] })).toBeNull();
    expect(filterProblem({ all: false, types: ['task.deleted'] })).toBeNull();
  });

  it('says the filter in words', () => {
    expect(filterText(null)).toBe('All events');
    expect(filterText(['task.created', 'task.deleted'])).toBe('task.created, task.deleted');
  });
});
