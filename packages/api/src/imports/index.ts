// What the server's import and export routes use (apps/server/src/imports*.ts): access
// checks, the job records, and the export and import themselves.
export { slugTaken } from '../queries/workspace-import.js';
export {
  type CsvImportReport,
  type CsvTaskImportOptions,
  type CsvTaskJob,
  checkCsvImportTarget,
  csvImportOptions,
  runCsvTaskImport,
} from './csv-tasks.js';
export { exportWorkspace } from './export.js';
export { EXPORT_FORMAT, EXPORT_VERSION } from './format.js';
export { authorizeExport, authorizeImportInto, authorizeWorkspaceImport } from './guards.js';
export {
  createImportJob,
  failAbandonedJobs,
  finishImportJob,
  getImportJob,
  type ImportJobRow,
  type ImportJobView,
  type ImportOutcome,
  type ImportProgress,
  INTERRUPTED,
  importJobView,
  type NewImportJob,
  type ProgressReporter,
  progressReporter,
  reportProgress,
} from './jobs.js';
export {
  ImportDocumentError,
  importWorkspace,
  type WorkspaceImportRequest,
} from './workspace-import.js';
