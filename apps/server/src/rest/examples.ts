// Example bodies for the OpenAPI document, keyed by procedure path. `request` is the JSON
// body (the input minus path parameters); `response` the success answer. openapi.test.ts
// parses every one with the procedure's own schemas, so they cannot drift from the API.

const task = {
  id: 'kV3nQ8rT2uW5xY7zA9bC1d',
  workspaceId: 'Wq4mP7sL1oK9jH6gF3dS2a',
  projectId: 'Pz8xC5vB2nM4lK7jH1gF6d',
  number: 12,
  title: 'Ship the REST API',
  description: 'Every procedure reachable under /api/v1.',
  status: 'in_progress',
  stateId: 'Sx3cV5bN7mQ9wE1rT2yU4i',
  priority: 3,
  assigneeId: 'Ua2sD4fG6hJ8kL0qW3eR5t',
  dueAt: '2030-07-01T17:00:00.000Z',
  version: 2,
  createdBy: 'Ua2sD4fG6hJ8kL0qW3eR5t',
  createdAt: '2030-06-01T09:00:00.000Z',
  updatedAt: '2030-06-02T10:30:00.000Z',
  completedAt: null,
  key: 'ENG-12',
  labels: ['api', 'docs'],
  parentId: 'Tp9aB3cD5eF7gH1jK2lM4n',
};

/** A request body and a success answer for one procedure's route. */
export interface RestExample {
  request?: Record<string, unknown>;
  response?: unknown;
}

/** Examples for the main operations. */
export const REST_EXAMPLES: Readonly<Record<string, RestExample>> = {
  'tasks.create': {
    request: {
      title: 'Ship the REST API',
      description: 'Every procedure reachable under /api/v1.',
      status: 'todo',
      priority: 3,
      labels: ['api', 'docs'],
      dueAt: '2030-07-01T17:00:00.000Z',
    },
    response: {
      ...task,
      status: 'todo',
      stateId: 'Sa1bC2dE3fG4hJ5kL6mN7o',
      version: 1,
      updatedAt: task.createdAt,
    },
  },
  'tasks.get': {
    response: {
      ...task,
      parent: { id: 'Tp9aB3cD5eF7gH1jK2lM4n', key: 'ENG-9', title: 'Open the API' },
      children: { total: 3, done: 1 },
      relations: {
        blocks: [],
        blockedBy: [
          { id: 'Bq2wE4rT6yU8iO0pA1sD3f', key: 'ENG-7', title: 'Pick a router', status: 'todo' },
        ],
        relates: [],
        duplicates: [],
        duplicatedBy: [],
      },
      mentions: [{ userId: 'Ua2sD4fG6hJ8kL0qW3eR5t', text: '@ada', name: 'Ada', handle: 'ada' }],
      watcherIds: ['Ua2sD4fG6hJ8kL0qW3eR5t'],
    },
  },
  'tasks.watch': { response: { watching: true } },
  'auth.updateProfile': {
    request: { handle: 'ada-l' },
    response: {
      id: 'Ua2sD4fG6hJ8kL0qW3eR5t',
      email: 'ada@example.com',
      name: 'Ada',
      handle: 'ada-l',
    },
  },
  'tasks.list': { response: { items: [task], nextCursor: null } },
  'tasks.update': {
    request: { expectedVersion: 1, patch: { status: 'in_progress' } },
    response: task,
  },
  'tasks.delete': { response: { ok: true } },
  'projects.states.add': {
    request: { name: 'In Review', category: 'started' },
    response: {
      id: 'Sr4tY6uI8oP0aS2dF4gH6j',
      workspaceId: 'Wq4mP7sL1oK9jH6gF3dS2a',
      projectId: 'Pz8xC5vB2nM4lK7jH1gF6d',
      name: 'In Review',
      category: 'started',
      position: 4,
      createdAt: '2030-06-01T09:00:00.000Z',
      updatedAt: '2030-06-01T09:00:00.000Z',
    },
  },
  'tasks.bulkUpdate': {
    request: {
      taskIds: ['kV3nQ8rT2uW5xY7zA9bC1d'],
      patch: { priority: 3, addLabels: ['docs'] },
      expectedVersions: { kV3nQ8rT2uW5xY7zA9bC1d: 1 },
    },
    response: { items: [task] },
  },
  'auth.signUp': {
    request: { email: 'ada@example.com', password: 'correct horse battery', name: 'Ada' },
    response: {
      user: {
        id: 'Ua2sD4fG6hJ8kL0qW3eR5t',
        email: 'ada@example.com',
        name: 'Ada',
        handle: 'ada',
      },
      session: {
        token: 'Sx9cV2bN5mQ8wE1rT4yU7i.Hk3Lp9Qr2St6Uv8Wx1Yz4Ab7Cd0Ef5Gh',
        expiresAt: '2030-07-01T09:00:00.000Z',
      },
    },
  },
  'projects.create': { request: { name: 'Engineering', key: 'ENG' } },
  'webhooks.create': {
    request: {
      url: 'https://hooks.example.com/trellis',
      events: ['task.created', 'task.updated'],
      description: 'CI bot',
    },
    response: {
      id: 'Hk7fR2mQ9sT4vX1zB6nD3p',
      secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    },
  },
  'workspaces.create': { request: { name: 'Acme', slug: 'acme' } },
  'notifications.list': {
    response: {
      items: [
        {
          id: 'Nw4eR6tY8uI0oP2aS4dF6g',
          kind: 'commented',
          workspaceId: task.workspaceId,
          task: { id: task.id, key: task.key, title: task.title },
          commentId: 'Cm5nB7vC9xZ1aS3dF5gH7j',
          actor: { id: 'Ua2sD4fG6hJ8kL0qW3eR5t', name: 'Ada Lovelace' },
          excerpt: 'The OpenAPI document is generated from the routes table.',
          createdAt: '2030-06-02T10:31:00.000Z',
          readAt: null,
        },
      ],
      nextCursor: null,
    },
  },
  'notifications.markRead': { request: { all: true }, response: { marked: 3 } },
  'notifications.preferences.update': {
    request: { kinds: { commented: false }, emailIntervalMinutes: 60 },
    response: {
      kinds: {
        assigned: true,
        mentioned: true,
        commented: false,
        status_changed: true,
        due_soon: true,
        overdue: true,
      },
      email: true,
      emailIntervalMinutes: 60,
    },
  },
};

/** Example bodies of webhook events, by event type; parsed by openapi.test.ts too. */
export const EVENT_EXAMPLES: Readonly<Record<string, unknown>> = {
  'task.updated': {
    id: 'Ev5tY8uI1oP4aS7dF0gH2j',
    type: 'task.updated',
    timestamp: task.updatedAt,
    workspaceId: task.workspaceId,
    actor: { userId: 'Ua2sD4fG6hJ8kL0qW3eR5t', name: 'Ada' },
    data: task,
    changes: { status: { from: 'todo', to: 'in_progress' } },
  },
  'webhook.ping': {
    id: 'Pg3wE6rT9yU2iO5pA8sD1f',
    type: 'webhook.ping',
    timestamp: '2030-06-02T10:31:00.000Z',
    workspaceId: task.workspaceId,
    actor: null,
    data: { webhookId: 'Hk7fR2mQ9sT4vX1zB6nD3p' },
  },
};

/** The error answers the document shows as examples, by HTTP status. */
export const ERROR_EXAMPLES: Readonly<Record<number, unknown>> = {
  400: {
    error: {
      code: 'BAD_REQUEST',
      message: 'Invalid input: title: Too big: expected string to have <=200 characters',
      fieldErrors: { title: ['Too big: expected string to have <=200 characters'] },
    },
  },
  401: { error: { code: 'UNAUTHORIZED', message: 'Sign in first' } },
  403: { error: { code: 'FORBIDDEN', message: 'This needs the member role; you are viewer' } },
  404: { error: { code: 'NOT_FOUND', message: 'Task not found' } },
  409: {
    error: {
      code: 'CONFLICT',
      message: 'Task ENG-12 was changed by someone else since version 1; reload it and try again',
    },
  },
  422: {
    error: {
      code: 'UNPROCESSABLE_CONTENT',
      message: 'Idempotency-Key header: already used for another request',
    },
  },
  413: { error: { code: 'PAYLOAD_TOO_LARGE', message: 'Request body is too large' } },
  415: { error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Send the body as application/json' } },
  429: {
    error: { code: 'TOO_MANY_REQUESTS', message: 'Too many attempts; try again in 60 seconds' },
  },
  503: {
    error: { code: 'SERVICE_UNAVAILABLE', message: 'The database cannot write: its disk is full' },
  },
  500: { error: { code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' } },
};
