// Vitest's globalSetup for apps/server's suites: they start the server's scripts from dist's
// bundles (src/test/main-process.ts), built here first when missing or older than a source
// they are made from. So the suite needs no `pnpm build` before it, and in `pnpm test` it
// starts at once instead of after the build of every package it depends on (turbo's build
// of the same files may run meanwhile: both write whole files by rename).
import { bundle, bundleIsFresh } from './bundle.mjs';

export default async function ensureBundle() {
  if (bundleIsFresh()) return;
  console.log('apps/server: bundling dist/*.js from the current sources');
  await bundle();
}
