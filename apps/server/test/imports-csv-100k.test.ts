// The CSV import at size: 100,000 rows into one project, timed, with the process's
// resident memory sampled while the job runs (the server runs in this process). Behind a
// flag, not in the default suite: TRELLIS_CSV_100K=1 (and TRELLIS_TEST_DIALECT=postgres for
// PostgreSQL). The numbers go to docs/performance.md ("CSV task import").
import { describe, expect, it } from 'vitest';
import { accountsOn } from './support/accounts.js';
import { serveThisFile } from './support/http.js';
import { acceptedJob, type ImportJob, waitForJob } from './support/imports.js';
import { workOn } from './support/work.js';

const ROWS = Number(process.env.TRELLIS_CSV_ROWS ?? 100_000);
const wire = serveThisFile();
const { makeTeam } = accountsOn(wire);
const { createProject } = workOn(wire);

/** A realistic file: every column filled, a description of a sentence or two. */
function bigCsv(assignees: readonly string[]): Buffer {
  const lines = ['Title,Description,Status,Priority,Assignee,Labels,Due date'];
  for (let i = 1; i <= ROWS; i += 1) {
    const day = String((i % 28) + 1).padStart(2, '0');
    lines.push(
      `Imported task ${i},"Row ${i} of the migration: check the ""legacy"" value, then close it.",` +
        `${i % 3 === 0 ? 'In Progress' : 'todo'},${i % 5},${assignees[i % assignees.length]},` +
        `"import, batch-${i % 10}",2031-02-${day}`,
    );
  }
  return Buffer.from(`${lines.join('\r\n')}\r\n`);
}

const mib = (bytes: number) => Math.round(bytes / 1024 / 1024);

describe.runIf(process.env.TRELLIS_CSV_100K === '1')('CSV task import at size', () => {
  it(`imports ${ROWS} rows within a minute`, { timeout: 180_000 }, async () => {
    const team = await makeTeam();
    const project = await createProject(team.owner.token, team.workspaceId, 'BIG');
    const csv = bigCsv([team.member.email, team.colleague.email, team.admin.email]);

    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 50);
    const cpu = process.cpuUsage();
    const started = performance.now();
    const reply = await wire.send(
      `/api/v1/workspaces/${team.workspaceId}/import/tasks.csv?projectId=${project.id}`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${team.member.token}`, 'content-type': 'text/csv' },
        body: csv,
      },
    );
    const uploaded = performance.now();
    const seen: ImportJob[] = [];
    const job = await waitForJob(wire, team.member.token, acceptedJob(reply).id, seen);
    const finished = performance.now();
    const { user, system } = process.cpuUsage(cpu);
    clearInterval(sampler);
    // The server's own times: when the job was made, began writing, and ended (a poll sees
    // `writing` at 0 on PostgreSQL; on SQLite the process is busy until the commit).
    const writing = seen
      .filter((s) => s.phase === 'writing' && s.done === 0)
      .map((s) => Date.parse(s.updatedAt))
      .sort((a, b) => a - b)[0];
    const phases =
      writing === undefined || job.finishedAt === null
        ? ''
        : ` (checking ${((writing - Date.parse(job.createdAt)) / 1000).toFixed(1)} s, ` +
          `writing ${((Date.parse(job.finishedAt) - writing) / 1000).toFixed(1)} s)`;

    const seconds = (finished - started) / 1000;
    console.log(
      `CSV import of ${ROWS} rows (${mib(csv.length)} MiB): ${seconds.toFixed(1)} s${phases}, ` +
        `upload ${((uploaded - started) / 1000).toFixed(1)} s; CPU ${((user + system) / 1e6).toFixed(1)} s; ` +
        `RSS ${mib(before)} MiB before, ` +
        `peak ${mib(peak)} MiB (+${mib(peak - before)} MiB)`,
    );
    expect(job, job.error ?? '').toMatchObject({ status: 'succeeded', done: ROWS, total: ROWS });
    expect(seconds).toBeLessThan(60);
  });
});
