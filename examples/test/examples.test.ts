import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './server.js';
import { signUpWithProject } from './users.js';

// Each example runs as a real program (tsx, @trellis/client from source) against a real
// server, and prints what its reader is told it prints.

const examplesDir = fileURLToPath(new URL('..', import.meta.url));
const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

async function runExample(file: string, env: Record<string, string>) {
  const { stdout, stderr } = await promisify(execFile)(
    tsx,
    ['--conditions=@trellis/source', `${examplesDir}${file}`],
    { cwd: examplesDir, env: { ...process.env, TRELLIS_URL: server.url, ...env }, timeout: 30_000 },
  );
  expect(stderr).toBe('');
  return stdout.trim().split('\n');
}

describe('examples/watch-tasks.ts', () => {
  it('lists my open tasks, creates one, and sees it arrive on the live feed', async () => {
    const { client, user, token, workspace, project } = await signUpWithProject(server.url);
    const mine = { projectId: project.id, assigneeId: user.id };
    await client.tasks.create.mutate({ ...mine, title: 'Ship it', status: 'in_progress' });
    await client.tasks.create.mutate({ ...mine, title: 'Shipped', status: 'done' });
    await client.tasks.create.mutate({ projectId: project.id, title: 'Not mine' });

    const lines = await runExample('watch-tasks.ts', {
      TRELLIS_TOKEN: token,
      TRELLIS_WORKSPACE: workspace.id,
      TRELLIS_PROJECT: project.id,
    });

    expect(lines[0]).toBe('open APP-1: Ship it');
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/^created APP-4: Try the live feed \d+$/),
    ]);
    const { items } = await client.tasks.list.query({
      workspaceId: workspace.id,
      assigneeId: user.id,
    });
    expect(items.map((task) => task.key).sort()).toEqual(['APP-1', 'APP-2', 'APP-4']);
  });
});
