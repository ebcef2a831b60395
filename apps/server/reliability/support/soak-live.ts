import type { TrellisClient } from '@trellis/client';

// A live subscription (tasks.onChange over SSE) held open for the whole soak, counting
// what it receives: at the end every acknowledged create and update of its workspace must
// have arrived, each exactly once.

/** An open tasks.onChange stream and what it has received so far. */
export interface LiveWatch {
  workspaceId: string;
  /** Resolves once the server listens: every change after that is delivered. */
  started: Promise<void>;
  /** `created` events by task id (a task seen twice means a duplicate delivery). */
  created: Map<string, number>;
  /** `updated` events by `taskId@version` (one per acknowledged update). */
  updated: Map<string, number>;
  /** Errors the stream reported (none expected). */
  errors: string[];
  close(): void;
}

/** Subscribes `client` to `workspaceId`'s task changes. */
export function watchWorkspace(client: TrellisClient, workspaceId: string): LiveWatch {
  const created = new Map<string, number>();
  const updated = new Map<string, number>();
  const errors: string[] = [];
  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
  let onStarted: () => void = () => {};
  const started = new Promise<void>((resolve) => {
    onStarted = resolve;
  });
  const subscription = client.tasks.onChange.subscribe(
    { workspaceId },
    {
      onStarted: () => onStarted(),
      onData: ({ data }) => {
        if (data.type === 'created') bump(created, data.task.id);
        if (data.type === 'updated') bump(updated, `${data.task.id}@${data.task.version}`);
      },
      onError: (error) => errors.push(String(error)),
    },
  );
  return {
    workspaceId,
    started,
    created,
    updated,
    errors,
    close: () => subscription.unsubscribe(),
  };
}
