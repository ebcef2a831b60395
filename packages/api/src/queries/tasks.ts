import type { TaskStatus } from '@trellis/db';

/** A task as clients see it. `key` is the project key and number, e.g. `ENG-12`. */
export interface TaskView {
  id: string;
  workspaceId: string;
  projectId: string;
  number: number;
  key: string;
  title: string;
  description: string;
  status: TaskStatus;
  priority: number;
  assigneeId: string | null;
  labels: string[];
  dueAt: string | null;
  version: number;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
}
