export type {
  ApiConfig,
  Context,
  CreateContextOptions,
  Credential,
  RequestInfo,
} from './context.js';
export { createContext } from './context.js';
export type { FieldErrors, TrellisErrorData } from './errors.js';
export type { AppRouter, RouterInputs, RouterOutputs } from './root.js';
export { appRouter, createCaller } from './root.js';
