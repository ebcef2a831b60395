// Not the package's face (that is index.ts): the building blocks of the procedures, for
// bench/'s baseline, which runs exactly these behind plain routes so that the benchmark's
// comparison measures the transport and nothing else, and for tests that check a query
// on its own. Anything here may change without notice.
export type { Actor } from './access.js';
export { recordActivity } from './activity.js';
export { locate } from './locate.js';
export { inWrittenOrder, mentionsOfTask } from './queries/mentions.js';
export { insertNotifications, type NewNotification } from './queries/notifications.js';
export { allocateTaskNumber } from './queries/projects.js';
export { defaultStateOf, insertDefaultStates, stateForStatus } from './queries/states.js';
export { statsOverview } from './queries/stats.js';
export { relationsOf } from './queries/task-relations.js';
export {
  insertTask,
  isAssignable,
  loadTaskViews,
  type TaskView,
  taskFamily,
} from './queries/tasks.js';
export { watcherIds } from './queries/watchers.js';
export { getUserWorkspace } from './queries/workspaces.js';
export { roleAtLeast } from './roles.js';
export { listTaskPage, type TaskListInput } from './routers/tasks-list.js';
