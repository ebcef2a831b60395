import type { TrellisEventType } from '@trellis/client';

// The event types an endpoint can subscribe to. A Record keyed by the client's own union,
// so that a type the API adds fails the dashboard's type check until it is listed here
// (the client exports the types, not a runtime list).
const DESCRIPTIONS: Record<TrellisEventType, string> = {
  'project.created': 'a project is created',
  'project.updated': 'a project is changed',
  'project.archived': 'a project is archived',
  'state.created': 'a workflow state is added to a project',
  'state.updated': 'a workflow state is renamed or moved',
  'state.deleted': 'a workflow state is removed',
  'task.created': 'a task is created',
  'task.updated': 'a task is changed',
  'task.deleted': 'a task is deleted (moved to the trash)',
  'task.restored': 'a task is restored from the trash',
  'task.relation_added': 'a task is linked to another (blocks, relates, duplicates)',
  'task.relation_removed': 'a link between tasks is removed',
  'task.due_soon': 'an open task is due within 24 hours',
  'task.overdue': 'an open task passes its due date',
  'view.created': 'a view is shared',
  'view.updated': 'a shared view is changed',
  'view.deleted': 'a shared view is deleted or unshared',
  'comment.created': 'someone comments',
  'comment.updated': 'a comment is edited',
  'comment.deleted': 'a comment is deleted',
  'attachment.created': 'a file is attached to a task',
  'attachment.deleted': 'an attachment is deleted',
  'member.joined': 'someone joins the workspace',
  'member.role_changed': "a member's role changes",
  'member.removed': 'a member is removed',
  'member.left': 'a member leaves',
  'api_token.revoked': 'an API token is revoked with its creator’s rights',
};

/** Every event type, in the API's order. */
export const EVENT_TYPES = Object.keys(DESCRIPTIONS) as TrellisEventType[];

/** What an event type means, in a few words. */
export function describeEventType(type: TrellisEventType): string {
  return DESCRIPTIONS[type];
}

/** The event types of an endpoint, as a form edits them: every type (also those added
 * later), or a chosen few. */
export interface EventFilter {
  all: boolean;
  types: TrellisEventType[];
}

/** The form's filter for an endpoint's `events` (null: every type). Types this dashboard
 * does not know are dropped: it could not show them as checkboxes. */
export function filterOf(events: readonly string[] | null): EventFilter {
  if (events === null) return { all: true, types: [] };
  return { all: false, types: EVENT_TYPES.filter((type) => events.includes(type)) };
}

/** `events` for webhooks.create / update: null for every type, else the chosen types in
 * the API's order. */
export function eventsInput(filter: EventFilter): TrellisEventType[] | null {
  return filter.all ? null : EVENT_TYPES.filter((type) => filter.types.includes(type));
}

/** A problem with the filter to show before sending it, or null. */
export function filterProblem(filter: EventFilter): string | null {
  return !filter.all && filter.types.length === 0
    ? 'Choose at least one event type, or all events.'
    : null;
}

/** The filter with `type` ticked (`on`) or not. */
export function toggleType(filter: EventFilter, type: TrellisEventType, on: boolean): EventFilter {
  const rest = filter.types.filter((t) => t !== type);
  return { ...filter, types: on ? [...rest, type] : rest };
}

/** An endpoint's filter in words: "All events" or the types, comma separated. */
export function filterText(events: readonly string[] | null): string {
  return events === null ? 'All events' : events.join(', ');
}
