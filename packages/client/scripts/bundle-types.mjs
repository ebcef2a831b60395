// Rolls build/types/{index,react}.d.ts (tsc's per-file declarations) into dist/, with the
// few declarations they still reference from the unpublished @trellis/api (the error data
// types) copied in; the router itself comes written out procedure by procedure, without its
// context (src/router.ts). The published package then carries its router types without
// server code or server types; every import left in the bundles must be a dependency (or
// peer) of this package, or the build fails: a `kysely` or `zod` import here would mean the
// router's context or a schema leaked in. tRPC's types stay imports of the peer packages,
// never a copy: a consumer's router and client types must come from its one tRPC, whatever
// 11.x it is (a second copy fails `createTRPCClient<AppRouter>` with TS2344).
import { readFileSync } from 'node:fs';
import { rollup } from 'rollup';
import { dts } from 'rollup-plugin-dts';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const provided = [
  pkg.name,
  ...Object.keys(pkg.dependencies ?? {}),
  ...Object.keys(pkg.peerDependencies ?? {}),
];
const isProvided = (id) => provided.some((name) => id === name || id.startsWith(`${name}/`));
const isWorkspace = (id) => id.startsWith('@trellis/') && !isProvided(id);
const isPath = (id) => id.startsWith('.') || id.startsWith('/');

async function bundleTypes(entry) {
  const bundle = await rollup({
    input: `build/types/${entry}.d.ts`,
    external: (id) => !isPath(id) && !isWorkspace(id),
    plugins: [
      dts({
        respectExternal: true,
        // Resolve @trellis/* through their built `types`, not the @trellis/source condition.
        tsconfig: 'tsconfig.build.json',
      }),
    ],
    onwarn(warning) {
      throw new Error(`type bundle ${entry}: ${warning.message}`);
    },
  });
  const options = { file: `dist/${entry}.d.ts`, format: 'es', inlineDynamicImports: true };
  const { output } = await bundle.generate(options);
  const undeclared = output.flatMap((chunk) => chunk.imports ?? []).filter((id) => !isProvided(id));
  if (undeclared.length > 0) {
    throw new Error(`dist/${entry}.d.ts imports undeclared packages: ${undeclared.join(', ')}`);
  }
  await bundle.write(options);
  await bundle.close();
}

await bundleTypes('index');
await bundleTypes('react');
