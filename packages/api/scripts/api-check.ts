// `pnpm api:check`: the router's public surface, and the event payloads webhooks and
// `events.list` send (event-surface.ts), against packages/api/api-surface.json.
import { fileURLToPath } from 'node:url';
import { appRouter } from '../src/root.js';
import { apiCheckCli } from '../src/surface/cli.js';
import { withEvents } from './event-surface.js';

process.exitCode = apiCheckCli(process.argv.slice(2), {
  router: withEvents(appRouter),
  snapshotPath: fileURLToPath(new URL('../api-surface.json', import.meta.url)),
  changelogPath: fileURLToPath(new URL('../../../CHANGELOG.md', import.meta.url)),
});
