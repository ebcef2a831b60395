export type { ServerConfig } from './config.js';
export { ConfigError, loadConfig } from './config.js';
export type { ServerDeps } from './server.js';
export { buildServer } from './server.js';
