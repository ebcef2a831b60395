import { outputs } from '@trellis/api';
import type { z } from 'zod';
import type { OpenApiPathItem } from '../rest/openapi.js';
import type { JsonSchema } from '../rest/procedures.js';
import { responseRef } from '../rest/responses.js';

// The attachment routes that stream (upload, download, preview) in the OpenAPI document.
// They share paths with the REST table's attachments.list (GET …/attachments) and
// attachments.delete (DELETE …/attachments/{attachmentId}): the document builder merges
// these operations into those path items.

/** The operations here: plain routes, not procedures. */
export const ATTACHMENT_OPERATION_IDS: readonly string[] = [
  'attachments.upload',
  'attachments.download',
  'attachments.preview',
];

const LIST_PATH = '/tasks/{taskId}/attachments';
const ITEM_PATH = '/tasks/{taskId}/attachments/{attachmentId}';

/** The methods each path serves (the table's and these), for 405's `Allow`. */
export const ATTACHMENT_PATH_METHODS: Readonly<Record<string, readonly string[]>> = {
  [LIST_PATH]: ['GET', 'HEAD', 'POST'],
  [ITEM_PATH]: ['GET', 'HEAD', 'DELETE'],
  [`${ITEM_PATH}/preview`]: ['GET', 'HEAD'],
};

const allowSays = (path: string) =>
  `Another method answers 405 (\`METHOD_NOT_SUPPORTED\`, in the error shape) with the header \`Allow: ${ATTACHMENT_PATH_METHODS[path]?.join(', ')}\`.`;

const pathParam = (name: string) =>
  ({ name, in: 'path', required: true, schema: { type: 'string' } }) as const;

const pathParams = (withAttachment: boolean) =>
  withAttachment ? [pathParam('taskId'), pathParam('attachmentId')] : [pathParam('taskId')];

const BYTES = { type: 'string', format: 'binary' };

/** The streaming attachment operations, keyed by path below `/api/v1`. */
export function attachmentPathItems(
  toSchema: (schema: z.ZodType, io: 'input' | 'output') => JsonSchema,
): Record<string, OpenApiPathItem> {
  const attachment = toSchema(outputs.attachmentOutput, 'output');
  return {
    [LIST_PATH]: {
      description: allowSays(LIST_PATH),
      post: {
        operationId: 'attachments.upload',
        summary: 'Attach a file to a task or one of its comments (members; streamed)',
        description:
          'A `multipart/form-data` body with one file part (any field name), and optionally a ' +
          '`commentId` field (or a `commentId` query parameter) to attach it to a comment of ' +
          'the task. At most 10 text fields (1024 bytes each); a second file part, ' +
          'an 11th field or a body that is not well-formed multipart answers 400 (a second file: ' +
          '`fieldErrors.file`) and nothing is kept. Invisible format characters (bidi ' +
          'overrides, zero-width spaces; not ZWJ/ZWNJ) and control characters are removed from ' +
          'the filename. The file streams to storage while it is hashed (SHA-256); ' +
          'over `ATTACHMENT_MAX_BYTES` (25 MiB by default) it is refused with 413 at once and ' +
          'nothing is kept. 409 when the workspace would pass ' +
          '`ATTACHMENTS_WORKSPACE_QUOTA_BYTES`. Images get a 320 px WebP preview. ' +
          'Not a tRPC procedure. `Idempotency-Key` is ignored.',
        tags: ['attachments'],
        parameters: [
          ...pathParams(false),
          {
            name: 'commentId',
            in: 'query' as const,
            required: false,
            description: 'A comment of the task to attach the file to.',
            schema: { type: 'string' },
          },
        ],
        requestBody: {
          required: true,
          content: {
            'multipart/form-data': {
              schema: {
                type: 'object',
                properties: { commentId: { type: 'string' }, file: BYTES },
                required: ['file'],
              },
            },
          },
        },
        responses: {
          201: {
            description: 'The attachment. `Location` is its download URL.',
            headers: { Location: { schema: { type: 'string' } } },
            content: { 'application/json': { schema: attachment } },
          },
          400: responseRef(400),
          401: responseRef(401),
          403: responseRef(403),
          404: responseRef(404),
          409: responseRef(409),
          413: responseRef(413),
          415: responseRef(415),
          503: responseRef(503),
          default: { $ref: '#/components/responses/Unexpected' },
        },
      },
    },
    [ITEM_PATH]: {
      description: allowSays(ITEM_PATH),
      get: {
        operationId: 'attachments.download',
        summary: 'Download an attachment (viewers and read tokens too; ranges)',
        description:
          'The bytes, with `Content-Disposition: attachment` (the filename as uploaded, RFC ' +
          '6266/5987), the stored type when it is on the allow-list (else ' +
          '`application/octet-stream`; never HTML or SVG), `X-Content-Type-Options: nosniff`, ' +
          "`Content-Security-Policy: default-src 'none'; sandbox`, `ETag` (the quoted SHA-256) " +
          'and `Accept-Ranges: bytes`. One `Range: bytes=a-b` (or `a-`, `-n`) answers 206 with ' +
          '`Content-Range`; a range past the end 416 with `Content-Range: bytes */size`; several ' +
          'ranges the whole file. 404 for a task in the trash, and for a non-member.',
        tags: ['attachments'],
        parameters: pathParams(true),
        responses: {
          200: {
            description: 'The file.',
            headers: {
              'Content-Disposition': { schema: { type: 'string' } },
              ETag: { schema: { type: 'string' } },
              'Accept-Ranges': { schema: { type: 'string' } },
            },
            content: { 'application/octet-stream': { schema: BYTES } },
          },
          206: {
            description: 'The requested range.',
            headers: { 'Content-Range': { schema: { type: 'string' } } },
            content: { 'application/octet-stream': { schema: BYTES } },
          },
          304: responseRef(304),
          401: responseRef(401),
          403: responseRef(403),
          404: responseRef(404),
          416: {
            description: 'The range starts past the end (`Content-Range: bytes */<size>`).',
            headers: { 'Content-Range': { schema: { type: 'string' } } },
          },
          default: { $ref: '#/components/responses/Unexpected' },
        },
      },
    },
    [`${ITEM_PATH}/preview`]: {
      description: allowSays(`${ITEM_PATH}/preview`),
      get: {
        operationId: 'attachments.preview',
        summary: "An image attachment's preview (320 px WebP)",
        description:
          'The same access as the download. Headers: `Content-Type: image/webp`, ' +
          '`Content-Disposition: inline`, `Content-Length`, `ETag` (`"<sha256>.preview"`; ' +
          "`If-None-Match` with it: 304) and the download's security headers. `Range` is " +
          'ignored (the whole preview, 200). 404 when the attachment has none ' +
          '(`hasPreview: false`).',
        tags: ['attachments'],
        parameters: pathParams(true),
        responses: {
          200: {
            description: 'The preview.',
            headers: {
              ETag: { schema: { type: 'string' } },
              'Content-Length': { schema: { type: 'integer' } },
            },
            content: { 'image/webp': { schema: BYTES } },
          },
          304: responseRef(304),
          401: responseRef(401),
          403: responseRef(403),
          404: responseRef(404),
          default: { $ref: '#/components/responses/Unexpected' },
        },
      },
    },
  };
}
