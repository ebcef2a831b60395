// The black-box contract of docs/api.md (../../../../docs/api.md) for tasks.onChange, its server-sent events read off the wire.
// A real server on a loopback port, spoken to over raw HTTP: nothing here loads the API's
// code; the answers' types come from @trellis/client as types only.
import { describe, expect, it } from 'vitest';
import { accountsOn } from '../support/accounts.js';
import { serveThisFile } from '../support/http.js';
import { nextChange, type SseEvent, summary, taskStreamsOn } from '../support/sse.js';
import { dataOf, errorIn, type Task } from '../support/wire.js';
import { workOn } from '../support/work.js';

const wire = serveThisFile();
const { mutate } = wire;
const { makeTeam, signUp, createWorkspace } = accountsOn(wire);
const { createProject, createTask } = workOn(wire);
const { openTaskChanges, subscribeTaskChanges } = taskStreamsOn(wire);

describe('tasks.onChange over raw SSE', () => {
  async function liveTeam() {
    const team = await makeTeam();
    const project = await createProject(team.admin.token, team.workspaceId, 'LIVE');
    return { team, project };
  }

  it('streams another request’s create, update and delete as events with SSE ids', async () => {
    const { team, project } = await liveTeam();
    const stream = await subscribeTaskChanges(
      { workspaceId: team.workspaceId },
      { token: team.colleague.token },
    );

    const task = await createTask(team.member.token, project.id, { title: 'Live one' });
    const created = await nextChange(stream, 'the created event');
    const updated = dataOf<Task>(
      await mutate(
        'tasks.update',
        { taskId: task.id, expectedVersion: 1, patch: { status: 'done' } },
        { token: team.member.token },
      ),
    );
    const updateEvent = await nextChange(stream, 'the updated event');
    dataOf(await mutate('tasks.delete', { taskId: task.id }, { token: team.member.token }));
    const deleteEvent = await nextChange(stream, 'the deleted event');
    await stream.close();

    expect(created).toEqual({ id: created.id, type: 'created', task });
    expect(updateEvent).toEqual({ id: updateEvent.id, type: 'updated', task: updated });
    expect(deleteEvent).toEqual({ id: deleteEvent.id, type: 'deleted', task: updated });
    expect(new Set([created.id, updateEvent.id, deleteEvent.id]).size).toBe(3);
  });

  it('reconnecting with Last-Event-ID delivers exactly the 2 changes made in between', async () => {
    const { team, project } = await liveTeam();
    const first = await subscribeTaskChanges(
      { workspaceId: team.workspaceId },
      { token: team.colleague.token },
    );
    const seenTask = await createTask(team.member.token, project.id, { title: 'Seen' });
    const seenEvent = await nextChange(first, 'the first created event');
    expect(summary(seenEvent)).toEqual(['created', seenTask.id, 1]);
    await first.close();

    const edited = dataOf<Task>(
      await mutate(
        'tasks.update',
        { taskId: seenTask.id, expectedVersion: 1, patch: { title: 'Seen, edited' } },
        { token: team.member.token },
      ),
    );
    const missed = await createTask(team.member.token, project.id, { title: 'Missed' });

    const again = await subscribeTaskChanges(
      { workspaceId: team.workspaceId },
      { token: team.colleague.token, lastEventId: seenEvent.id },
    );
    const replayed = [await nextChange(again, 'replay 1'), await nextChange(again, 'replay 2')];
    // A change made now must be the very next event: nothing else was replayed.
    const sentinel = await createTask(team.member.token, project.id, { title: 'Sentinel' });
    const next = await nextChange(again, 'the sentinel');
    await again.close();

    expect(replayed.map(summary)).toEqual([
      ['updated', seenTask.id, 2],
      ['created', missed.id, 1],
    ]);
    expect(replayed[0]?.task).toEqual(edited);
    expect(replayed[1]?.task).toEqual(missed);
    expect(summary(next)).toEqual(['created', sentinel.id, 1]);
  });

  it('input.lastEventId replays the same way', async () => {
    const { team, project } = await liveTeam();
    const first = await subscribeTaskChanges(
      { workspaceId: team.workspaceId },
      { token: team.colleague.token },
    );
    const seenTask = await createTask(team.member.token, project.id);
    const seenEvent = await nextChange(first, 'the first created event');
    await first.close();
    const a = await createTask(team.member.token, project.id);
    dataOf(await mutate('tasks.delete', { taskId: seenTask.id }, { token: team.member.token }));

    const again = await subscribeTaskChanges(
      { workspaceId: team.workspaceId, lastEventId: seenEvent.id },
      { token: team.colleague.token },
    );
    const replayed = [await nextChange(again, 'replay 1'), await nextChange(again, 'replay 2')];
    const sentinel = await createTask(team.member.token, project.id);
    const next = await nextChange(again, 'the sentinel');
    await again.close();

    expect(replayed.map(summary)).toEqual([
      ['created', a.id, 1],
      ['deleted', seenTask.id, 1],
    ]);
    expect(summary(next)).toEqual(['created', sentinel.id, 1]);
  });

  it('the connected event’s SSE id is where the stream starts: sent back as Last-Event-ID, it gets every change made since', async () => {
    const { team, project } = await liveTeam();
    const first = await openTaskChanges(
      { workspaceId: team.workspaceId },
      { token: team.colleague.token },
    );
    const connected = await first.next('the connected event');
    await first.close();
    expect(connected.event).toBe('connected');
    expect(connected.id).toMatch(/^[A-Za-z0-9_-]+$/);
    // An internal message of the server's, never sent.
    expect(first.headers.get('trellis-stream-start')).toBeNull();

    const task = await createTask(team.member.token, project.id, { title: 'While away' });
    const again = await subscribeTaskChanges(
      { workspaceId: team.workspaceId },
      { token: team.colleague.token, lastEventId: connected.id },
    );
    const missed = await nextChange(again, 'the change made while away');
    await again.close();
    expect(summary(missed)).toEqual(['created', task.id, 1]);
  });

  it('a workspace with no log entries yet starts at an id too', async () => {
    const owner = await signUp('empty');
    const workspace = await createWorkspace(owner.token);
    const first = await openTaskChanges({ workspaceId: workspace.id }, { token: owner.token });
    const connected = await first.next('the connected event');
    await first.close();
    expect(connected.event).toBe('connected');
    expect(connected.id).toEqual(expect.any(String));

    const project = await createProject(owner.token, workspace.id, 'EMPTY');
    const task = await createTask(owner.token, project.id);
    const again = await subscribeTaskChanges(
      { workspaceId: workspace.id, lastEventId: connected.id },
      { token: owner.token },
    );
    const firstChange = await nextChange(again, 'the first task change');
    await again.close();
    expect(summary(firstChange)).toEqual(['created', task.id, 1]);
  });

  it('a member removed mid-stream is cut off: the stream ends and carries no later change', async () => {
    const { team, project } = await liveTeam();
    const stream = await subscribeTaskChanges(
      { workspaceId: team.workspaceId },
      { token: team.colleague.token },
    );
    await createTask(team.member.token, project.id, { title: 'Before removal' });
    expect((await nextChange(stream, 'the created event')).type).toBe('created');

    dataOf(
      await mutate(
        'members.remove',
        { workspaceId: team.workspaceId, userId: team.colleague.user.id },
        { token: team.owner.token },
      ),
    );
    const after = await createTask(team.member.token, project.id, { title: 'After removal' });

    const rest: SseEvent[] = [];
    for (;;) {
      const event = await stream.next('the end of the stream').catch(() => null);
      if (event === null) break;
      rest.push(event);
    }
    await stream.ended();
    await stream.close();
    expect(rest.map((event) => event.data).join('\n')).not.toContain(after.id);
    expect(rest.map((event) => event.event)).not.toContain('message');
  });

  it('an anonymous subscribe is an HTTP 200 event stream carrying one UNAUTHORIZED error event, then ends', async () => {
    const { team } = await liveTeam();

    const stream = await openTaskChanges({ workspaceId: team.workspaceId });

    expect(stream.status).toBe(200);
    expect(stream.contentType).toMatch(/^text\/event-stream/);
    const connected = await stream.next('the connected event');
    expect(connected.event).toBe('connected');
    // A stream that never started has no start to resume from.
    expect(connected.id).toBeUndefined();
    const error = await stream.next('the error event');
    expect(error.event).toBe('serialized-error');
    errorIn({ error: JSON.parse(error.data) }, 401, 'UNAUTHORIZED');
    await stream.ended();
    await stream.close();
  });

  it('an outsider’s subscribe carries a NOT_FOUND error event and hears nothing', async () => {
    const { team } = await liveTeam();

    const stream = await openTaskChanges(
      { workspaceId: team.workspaceId },
      { token: team.outsider.token },
    );

    expect(stream.status).toBe(200);
    expect((await stream.next('the connected event')).event).toBe('connected');
    const error = await stream.next('the error event');
    expect(error.event).toBe('serialized-error');
    errorIn({ error: JSON.parse(error.data) }, 404, 'NOT_FOUND');
    await stream.ended();
    await stream.close();
  });

  it('a Last-Event-ID this server never issued carries a BAD_REQUEST error event', async () => {
    const { team } = await liveTeam();

    const stream = await openTaskChanges(
      { workspaceId: team.workspaceId },
      { token: team.member.token, lastEventId: 'not-an-event-id' },
    );

    expect(stream.status).toBe(200);
    expect((await stream.next('the connected event')).event).toBe('connected');
    const error = await stream.next('the error event');
    expect(error.event).toBe('serialized-error');
    errorIn({ error: JSON.parse(error.data) }, 400, 'BAD_REQUEST');
    await stream.ended();
    await stream.close();
  });
});
