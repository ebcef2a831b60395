import { outputs } from '@trellis/api';
import type { z } from 'zod';
import { ATTACHMENT_OPERATION_IDS } from './attachments/openapi.js';
import type { OpenApiPathItem } from './rest/openapi.js';
import type { JsonSchema } from './rest/procedures.js';
import { responseRef } from './rest/responses.js';

// workspaces.export and workspaces.import in the OpenAPI document. They are plain routes
// (imports.ts), not rows of the REST table, so their operations are written here; the
// document builder adds these path items beside the table's. The export document's own
// schema is described, not spelled out: docs/api.md "Export format" is its reference.

const EXPORT_DOCUMENT: JsonSchema = {
  type: 'object',
  description:
    'A `trellis.workspace` document, version 1: `{format, version, exportedAt, counts, ' +
    'workspace, users, members, projects, states, tasks, relations, comments, activity}`, ' +
    'keys in this order (docs/api.md, "Export format").',
  required: ['format', 'version', 'workspace'],
  properties: {
    format: { const: 'trellis.workspace' },
    version: { const: 1 },
    exportedAt: { type: 'string' },
    counts: { type: 'object', additionalProperties: { type: 'integer', minimum: 0 } },
    workspace: {
      type: 'object',
      required: ['name', 'slug', 'createdAt'],
      properties: {
        name: { type: 'string' },
        slug: { type: 'string' },
        createdAt: { type: 'string' },
      },
    },
  },
};

/** The operations here: plain routes, not procedures (no 405/304/503 rules of the table). */
export const UPLOAD_OPERATION_IDS: readonly string[] = [
  'workspaces.export',
  'workspaces.import',
  'tasks.importCsv',
  ...ATTACHMENT_OPERATION_IDS,
];

/** The upload routes' path items, keyed by path below `/api/v1`. */
export function importPathItems(
  toSchema: (schema: z.ZodType, io: 'input' | 'output') => JsonSchema,
): Record<string, OpenApiPathItem> {
  const job = toSchema(outputs.importJobOutput, 'output');
  // An upload's answers: 202 with the job, or one of these refusals.
  const jobAnswers = (refusals: readonly (400 | 401 | 403 | 404 | 409 | 413 | 415)[]) => ({
    202: {
      description: 'The import job, queued. `Location` is its URL.',
      headers: { Location: { schema: { type: 'string' } } },
      content: { 'application/json': { schema: job } },
    },
    ...Object.fromEntries(refusals.map((status) => [status, responseRef(status)])),
    default: { $ref: '#/components/responses/Unexpected' },
  });
  return {
    '/workspaces/{workspaceId}/export': {
      get: {
        operationId: 'workspaces.export',
        summary: 'Export the workspace as one JSON document (admins; streamed)',
        description:
          'Streams the whole workspace, read from one snapshot, page by page. Not a tRPC ' +
          'procedure: served over REST only. API tokens are refused (403).',
        tags: ['workspaces'],
        parameters: [
          { name: 'workspaceId', in: 'path', required: true, schema: { type: 'string' } },
        ],
        responses: {
          200: {
            description: 'The export document, as an attachment (`<slug>-export.json`).',
            headers: {
              'Content-Disposition': {
                description: '`attachment; filename="<slug>-export.json"`',
                schema: { type: 'string' },
              },
            },
            content: { 'application/json': { schema: EXPORT_DOCUMENT } },
          },
          401: responseRef(401),
          403: responseRef(403),
          404: responseRef(404),
          default: { $ref: '#/components/responses/Unexpected' },
        },
      },
    },
    '/workspaces/import': {
      post: {
        operationId: 'workspaces.import',
        summary: 'Import an export document as a new workspace (an import job)',
        description:
          'The body is streamed to a file and imported in the background: poll ' +
          '`GET /api/v1/imports/{jobId}` (`imports.get`). People only (API tokens: 403). ' +
          '`Idempotency-Key` is ignored.',
        tags: ['workspaces'],
        parameters: [
          {
            name: 'name',
            in: 'query',
            required: false,
            description: "The new workspace's name (default: the document's).",
            schema: { type: 'string' },
          },
          {
            name: 'slug',
            in: 'query',
            required: false,
            description: "The new workspace's slug (default: the document's); 409 when taken.",
            schema: { type: 'string' },
          },
        ],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: EXPORT_DOCUMENT } },
        },
        responses: jobAnswers([400, 401, 403, 409, 413, 415]),
      },
    },
    '/workspaces/{workspaceId}/import/tasks.csv': {
      post: {
        operationId: 'tasks.importCsv',
        summary: 'Import tasks from a CSV file into a project (an import job)',
        description:
          'Members and above (write tokens too). The body is the CSV (UTF-8, a header row) ' +
          'streamed to a file and imported in the background: poll ' +
          '`GET /api/v1/imports/{jobId}`. Pass 1 checks every row; any bad row fails the job ' +
          'with a per-row report and writes nothing, unless `skipInvalid=true`. Columns map ' +
          'to fields by name, or by `map.<field>=<column>` (docs/api.md, "CSV import of tasks").',
        tags: ['tasks'],
        parameters: [
          { name: 'workspaceId', in: 'path', required: true, schema: { type: 'string' } },
          {
            name: 'projectId',
            in: 'query',
            required: true,
            description: 'The project the tasks go into.',
            schema: { type: 'string' },
          },
          {
            name: 'skipInvalid',
            in: 'query',
            required: false,
            description: 'Write the valid rows and report the others (default false).',
            schema: { type: 'string', enum: ['true', 'false'] },
          },
        ],
        requestBody: {
          required: true,
          content: { 'text/csv': { schema: { type: 'string' } } },
        },
        responses: jobAnswers([400, 401, 403, 404, 409, 413, 415]),
      },
    },
  };
}
