import {
  type LocatedOperation,
  type OpenApiDocument,
  type OpenApiParameter,
  operationsOf,
  webhookOperationsOf,
} from './openapi.js';

// GET /api/docs: the OpenAPI document as one self-contained HTML page (inline CSS, no
// scripts, no CDN), readable offline. Every piece of text from the document is escaped,
// so nothing in a summary or schema can become markup.

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text made safe for HTML element content and quoted attribute values. */
export function escapeHtml(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

/** The Content-Security-Policy the page is served with: its own inline styles, nothing else. */
export const DOCS_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const STYLE = `
body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem 2rem;color:#1d2330}
h1{margin-bottom:0}h2{margin-top:2.5rem;border-bottom:1px solid #d8dce4}
section.op{border:1px solid #d8dce4;border-radius:6px;margin:1rem 0;padding:.5rem 1rem}
.method{display:inline-block;min-width:4.5rem;font:600 13px monospace;text-transform:uppercase}
.get{color:#0a6b3d}.post{color:#1d4ed8}.patch{color:#9a5b00}.delete{color:#b91c1c}
code,pre{font:13px/1.4 ui-monospace,monospace}pre{background:#f5f6f8;padding:.5rem;overflow:auto;max-height:22rem}
table{border-collapse:collapse}td,th{border-bottom:1px solid #eceef2;padding:.2rem .6rem;text-align:left;vertical-align:top}
nav a{margin-right:.8rem}
`;

const json = (value: unknown) => `<pre>${escapeHtml(JSON.stringify(value, null, 2))}</pre>`;

function isParameter(value: unknown): value is OpenApiParameter {
  return typeof value === 'object' && value !== null && 'name' in value;
}

function parametersTable({ operation }: LocatedOperation): string {
  const rows = (operation.parameters ?? [])
    .filter(isParameter)
    .map(
      (p) =>
        `<tr><td><code>${escapeHtml(p.name)}</code></td><td>${escapeHtml(p.in)}</td>` +
        `<td>${p.required ? 'required' : 'optional'}</td>` +
        `<td><code>${escapeHtml(JSON.stringify(p.schema ?? p.content))}</code>${p.description ? ` ${escapeHtml(p.description)}` : ''}</td></tr>`,
    );
  if (rows.length === 0) return '';
  return `<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th></th><th>schema</th></tr>${rows.join('')}</table>`;
}

/** One response: its status, description or shared name, headers, and each body's schema. */
function responseItem(status: string, response: unknown): string {
  const ref = (response as { $ref?: string }).$ref;
  if (ref)
    return `<li><code>${escapeHtml(status)}</code> ${escapeHtml(ref.split('/').at(-1))}</li>`;
  const { description, headers, content } = response as {
    description?: string;
    headers?: Record<string, unknown>;
    content?: Record<string, { schema?: unknown; example?: unknown }>;
  };
  const headerNames = Object.keys(headers ?? {});
  const bodies = Object.entries(content ?? {}).map(
    ([type, body]) =>
      `<p><code>${escapeHtml(type)}</code></p>` +
      (body.schema ? json(body.schema) : '') +
      (body.example !== undefined ? `<p>Example</p>${json(body.example)}` : ''),
  );
  return (
    `<li><code>${escapeHtml(status)}</code> ${escapeHtml(description ?? '')}` +
    (headerNames.length > 0
      ? ` <small>Headers: ${headerNames.map((name) => `<code>${escapeHtml(name)}</code>`).join(', ')}</small>`
      : '') +
    bodies.join('') +
    '</li>'
  );
}

function operationSection(located: LocatedOperation): string {
  const { path, method, base, operation } = located;
  const body = operation.requestBody?.content['application/json'];
  const responses = Object.entries(operation.responses).map(([status, response]) =>
    responseItem(status, response),
  );
  // Paths under the document's own base are shown as they are written; others in full;
  // a webhook event (no base) by its type, sent to the endpoint's URL.
  const shown = base === '/api/v1' || base === '' ? path : `${base}${path}`;
  const target = base === '' ? ' <small>to your endpoint</small>' : '';
  return [
    `<section class="op" id="${escapeHtml(operation.operationId)}">`,
    `<h3><span class="method ${escapeHtml(method)}">${escapeHtml(method)}</span> <code>${escapeHtml(shown)}</code>${target}</h3>`,
    `<p>${escapeHtml(operation.summary)} — <code>${escapeHtml(operation.operationId)}</code>${operation.security?.length === 0 ? ' (no authentication)' : ''}</p>`,
    operation.description ? `<p>${escapeHtml(operation.description)}</p>` : '',
    parametersTable(located),
    body
      ? `<h4>Request body</h4>${json(body.schema)}${body.example !== undefined ? `<p>Example</p>${json(body.example)}` : ''}`
      : '',
    `<h4>Responses</h4><ul>${responses.join('')}</ul>`,
    '</section>',
  ].join('\n');
}

/** The reference page for a document: operations grouped by tag, then the shared schemas. */
export function renderDocsPage(document: OpenApiDocument): string {
  const info = document.info as { title: string; version: string; description?: string };
  const tags = (document.tags as { name: string; description?: string }[] | undefined) ?? [];
  const operations = [...operationsOf(document), ...webhookOperationsOf(document)];
  const groups = tags.map(({ name, description }) => {
    const ops = operations.filter(({ operation }) => operation.tags.includes(name));
    return [
      `<h2 id="tag-${escapeHtml(name)}">${escapeHtml(name)}</h2>`,
      description ? `<p>${escapeHtml(description)}</p>` : '',
      ...ops.map(operationSection),
    ].join('\n');
  });
  const schemas = Object.entries(document.components.schemas).map(
    ([name, schema]) =>
      `<h3 id="schema-${escapeHtml(name)}">${escapeHtml(name)}</h3>${json(schema)}`,
  );
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(info.title)} reference</title><style>${STYLE}</style></head><body>`,
    `<h1>${escapeHtml(info.title)} <small>${escapeHtml(info.version)}</small></h1>`,
    info.description ? `<p>${escapeHtml(info.description)}</p>` : '',
    '<p>Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI 3.1). ' +
      'Paths are relative to <code>/api/v1</code>, except the live feed&#39;s, shown in full; ' +
      'webhook events are named by their type.</p>',
    `<nav>${tags.map(({ name }) => `<a href="#tag-${escapeHtml(name)}">${escapeHtml(name)}</a>`).join('')}<a href="#schemas">schemas</a></nav>`,
    ...groups,
    '<h2 id="schemas">Schemas</h2>',
    ...schemas,
    '</body></html>',
  ].join('\n');
}
