// What the soak's clients were told the server did: every acknowledged write, so that the
// end of the soak can reconcile it with the database and the API (no lost writes), and
// every call's outcome by kind, so that any unexpected answer is listed.

/** A task the soak created, as the clients know it. */
export interface KnownTask {
  id: string;
  workspaceId: string;
  projectId: string;
  /** The highest version any answer showed (stale while another client updates it). */
  version: number;
  /** Updates the server acknowledged: its final version must be 1 + this. */
  ackedUpdates: number;
  /** Ids of the comments the server acknowledged on it. */
  comments: Set<string>;
}

/** Acknowledged writes and call outcomes. */
export class SoakLedger {
  readonly tasks = new Map<string, KnownTask>();
  /** Task ids per workspace in creation order (the newest are the contended ones). */
  private readonly byWorkspace = new Map<string, string[]>();
  /** Calls by kind and outcome, e.g. `create ok`, `update CONFLICT`. */
  readonly outcomes = new Map<string, number>();
  /** Outcomes no rule allows, with details (empty after a good soak). */
  readonly unexpected: string[] = [];

  /** Notes an acknowledged create. */
  created(task: { id: string; workspaceId: string; projectId: string; version: number }): void {
    const { id, workspaceId, projectId, version } = task;
    this.tasks.set(id, {
      id,
      workspaceId,
      projectId,
      version,
      ackedUpdates: 0,
      comments: new Set(),
    });
    const list = this.byWorkspace.get(workspaceId) ?? [];
    list.push(id);
    this.byWorkspace.set(workspaceId, list);
  }

  /** Notes an acknowledged update of `id` to `version`. */
  updated(id: string, version: number): void {
    const task = this.mustKnow(id);
    task.ackedUpdates += 1;
    task.version = Math.max(task.version, version);
  }

  /** Notes a version seen in a read (answers can arrive out of order: keep the highest). */
  seen(id: string, version: number): void {
    const task = this.tasks.get(id);
    if (task) task.version = Math.max(task.version, version);
  }

  /** Notes an acknowledged comment. */
  commented(taskId: string, commentId: string): void {
    this.mustKnow(taskId).comments.add(commentId);
  }

  /** A task of `workspaceId`: one of the `hot` newest with probability `hotShare`. */
  pick(workspaceId: string, random: () => number, hot = 8, hotShare = 0.7): KnownTask | null {
    const list = this.byWorkspace.get(workspaceId) ?? [];
    if (list.length === 0) return null;
    const from = random() < hotShare ? Math.max(0, list.length - hot) : 0;
    const id = list[from + Math.floor(random() * (list.length - from))] as string;
    return this.mustKnow(id);
  }

  /** Tasks created in each project, by project id. */
  createdPerProject(): Map<string, Set<string>> {
    const result = new Map<string, Set<string>>();
    for (const task of this.tasks.values()) {
      const set = result.get(task.projectId) ?? new Set<string>();
      set.add(task.id);
      result.set(task.projectId, set);
    }
    return result;
  }

  /** Counts one call of `kind` that ended as `outcome`. */
  count(kind: string, outcome: string): void {
    const key = `${kind} ${outcome}`;
    this.outcomes.set(key, (this.outcomes.get(key) ?? 0) + 1);
  }

  /** Calls made, in total and by kind (every outcome). */
  callsByKind(): Map<string, number> {
    const result = new Map<string, number>();
    for (const [key, n] of this.outcomes) {
      const kind = key.split(' ')[0] as string;
      result.set(kind, (result.get(kind) ?? 0) + n);
    }
    return result;
  }

  private mustKnow(id: string): KnownTask {
    const task = this.tasks.get(id);
    if (!task) throw new Error(`the soak never created task ${id}`);
    return task;
  }
}
