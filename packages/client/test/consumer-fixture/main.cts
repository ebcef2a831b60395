// The client through require(): a CommonJS module (tsc compiles these imports to require()
// calls of the package's CommonJS entry), asking without signing in.
import { createClient, isTrellisError } from '@trellis/client';

async function main(): Promise<void> {
  const url = process.env.TRELLIS_URL ?? 'http://localhost:3000';
  try {
    await createClient({ url }).auth.me.query();
    console.log('require: answered without a token');
  } catch (error) {
    if (!isTrellisError(error)) throw error;
    console.log(`require: ${error.code} ${error.status}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
