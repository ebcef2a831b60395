import { parseArgs } from 'node:util';
import type { AnyTRPCRouter } from '@trpc/server';
import { runApiCheck } from './check.js';

/** The command line of `pnpm api:check`: the exit code; the report goes to stdout/stderr. */
export function apiCheckCli(
  argv: string[],
  defaults: { router: AnyTRPCRouter; snapshotPath: string; changelogPath: string },
): number {
  let values: { update?: boolean; breaking?: boolean; snapshot?: string; changelog?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        update: { type: 'boolean' },
        breaking: { type: 'boolean' },
        snapshot: { type: 'string' },
        changelog: { type: 'string' },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.breaking && !values.update) {
    console.error(`--breaking only applies with --update.\n${USAGE}`);
    return 2;
  }
  const result = runApiCheck({
    router: defaults.router,
    snapshotPath: values.snapshot ?? defaults.snapshotPath,
    changelogPath: values.changelog ?? defaults.changelogPath,
    update: values.update ?? false,
    breaking: values.breaking ?? false,
  });
  (result.ok ? console.log : console.error)(result.report.join('\n'));
  return result.ok ? 0 : 1;
}

const USAGE = `Usage: pnpm api:check [--update [--breaking]] [--snapshot <file>] [--changelog <file>]
  (no flags)          compare the router with the snapshot; fail on breaking changes
  --update            record additive changes in the snapshot
  --update --breaking also record breaking changes, once CHANGELOG.md's Unreleased section names them`;
