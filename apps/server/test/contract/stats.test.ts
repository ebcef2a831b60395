// The black-box contract of docs/api.md (../../../../docs/api.md) for stats.overview.
// A real server on a loopback port, spoken to over raw HTTP: nothing here loads the API's
// code; the answers' types come from @trellis/client as types only.
import { describe, expect, it } from 'vitest';
import { accountsOn } from '../support/accounts.js';
import { serveThisFile } from '../support/http.js';
import { dataOf, type StatsOverview } from '../support/wire.js';
import { workOn } from '../support/work.js';

const wire = serveThisFile();
const { query } = wire;
const { makeTeam } = accountsOn(wire);
const { createProject, createTask } = workOn(wire);

const DAY_MS = 24 * 60 * 60 * 1000;

describe('stats.overview', () => {
  it('counts by status and priority what was created, with 30 entries per day series', async () => {
    const team = await makeTeam();
    const project = await createProject(team.admin.token, team.workspaceId, 'STAT');
    const token = team.member.token;
    await createTask(token, project.id, { status: 'todo', priority: 0 });
    await createTask(token, project.id, {
      status: 'todo',
      priority: 4,
      assigneeId: team.member.user.id,
    });
    await createTask(token, project.id, { status: 'in_progress', priority: 4 });
    await createTask(token, project.id, {
      status: 'done',
      priority: 1,
      assigneeId: team.member.user.id,
    });
    await createTask(token, project.id, { status: 'canceled', priority: 2 });

    const before = new Date().toISOString().slice(0, 10);
    const stats = dataOf<StatsOverview>(
      await query(
        'stats.overview',
        { workspaceId: team.workspaceId },
        { token: team.colleague.token },
      ),
    );
    const after = new Date().toISOString().slice(0, 10);

    expect(stats.byStatus).toEqual({ backlog: 0, todo: 2, in_progress: 1, done: 1, canceled: 1 });
    expect(stats.byPriority).toEqual([
      { priority: 0, count: 1 },
      { priority: 1, count: 1 },
      { priority: 2, count: 1 },
      { priority: 3, count: 0 },
      { priority: 4, count: 2 },
    ]);
    expect(stats.openByAssignee).toEqual([
      { assigneeId: null, name: null, count: 2 },
      { assigneeId: team.member.user.id, name: team.member.user.name, count: 1 },
    ]);
    expect(stats.totals).toMatchObject({ tasks: 5, open: 3 });
    for (const series of [stats.createdPerDay, stats.completedPerDay]) {
      expect(series).toHaveLength(30);
      const days = series.map((entry) => entry.day);
      for (const day of days) expect(day).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      for (let i = 1; i < days.length; i += 1) {
        expect(Date.parse(days[i] ?? '') - Date.parse(days[i - 1] ?? '')).toBe(DAY_MS);
      }
      expect([before, after]).toContain(days.at(-1));
    }
    const sum = (series: StatsOverview['createdPerDay']) =>
      series.reduce((total, entry) => total + entry.count, 0);
    expect(sum(stats.createdPerDay)).toBe(5);
    expect(sum(stats.completedPerDay)).toBe(1);
    expect(stats.createdPerDay.filter((entry) => entry.count === 0)).toHaveLength(29);
  });
});
