export { ConfigError, loadConfig } from './config.js';
export type { ServerConfig } from './config.js';
export { buildServer } from './server.js';
export type { ServerDeps } from './server.js';
