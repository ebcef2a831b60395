// Runs before `pack` and `publish`. Only pnpm makes the tarball the manifest is written for:
// it writes real versions in place of `catalog:` and `workspace:`, and takes `exports` from
// publishConfig, without the @trellis/source condition (src/ is not in the tarball). npm
// would ship both as they are, so it is refused here, as is a missing build. Whether the
// build is current is turbo's to know (it hashes the sources): `pnpm client:pack` builds
// through turbo first.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const fail = (message) => {
  console.error(`@trellis/client: ${message}`);
  process.exit(1);
};

const agent = process.env.npm_config_user_agent ?? '';
if (!agent.startsWith('pnpm/')) {
  fail('pack or publish it with pnpm from the workspace (`pnpm client:pack`), not npm.');
}

const built = ['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts', 'react.js', 'react.cjs'];
for (const file of built) {
  if (!existsSync(fileURLToPath(new URL(`../dist/${file}`, import.meta.url)))) {
    fail(`dist/${file} is missing: run \`pnpm client:pack\`, which builds first.`);
  }
}
