import type { UserConfig, ViteUserConfig } from 'vitest/config';

/** The Vitest config every Trellis package uses, with per-package test options merged in. */
export function trellisVitestConfig(test?: ViteUserConfig['test']): UserConfig;
