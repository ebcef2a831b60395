import { trellisVitestConfig } from '@trellis/vitest-config';

export default trellisVitestConfig();
