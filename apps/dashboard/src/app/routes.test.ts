import { describe, expect, it } from 'vitest';
import { parseRoute, paths, type Route } from './routes';

describe('parseRoute', () => {
  it.each([
    ['/', { page: 'home' }],
    ['/sign-in', { page: 'sign-in' }],
    ['/sign-up', { page: 'sign-up' }],
    ['/forgot-password', { page: 'forgot-password' }],
    ['/reset-password', { page: 'reset-password' }],
    ['/verify-email', { page: 'verify-email' }],
    ['/unsubscribe', { page: 'unsubscribe' }],
    ['/account', { page: 'account' }],
    ['/w/acme', { page: 'overview', slug: 'acme' }],
    ['/w/acme/', { page: 'overview', slug: 'acme' }],
    ['/w/acme/projects', { page: 'projects', slug: 'acme' }],
    ['/w/acme/tasks', { page: 'tasks', slug: 'acme' }],
    ['/w/acme/tasks/t-1', { page: 'task', slug: 'acme', taskId: 't-1' }],
    ['/w/acme/board', { page: 'board', slug: 'acme' }],
    ['/w/acme/members', { page: 'members', slug: 'acme' }],
    ['/w/acme/tokens', { page: 'tokens', slug: 'acme' }],
    ['/w/acme/webhooks', { page: 'webhooks', slug: 'acme' }],
  ] satisfies [string, Route][])('reads %s', (pathname, route) => {
    expect(parseRoute(pathname)).toEqual(route);
  });

  it.each([
    '/nope',
    '/sign-in/again',
    '/w',
    '/x/acme',
    '/w/acme/nope',
    '/w/acme/projects/p-1',
    '/w/acme/tasks/t-1/more',
    '/w/%E0%A4%A',
  ])('shows not-found for %s', (pathname) => {
    expect(parseRoute(pathname)).toEqual({ page: 'not-found' });
  });
});

describe('paths', () => {
  it('builds each page’s path, which reads back as that page', () => {
    expect(paths.overview('acme')).toBe('/w/acme');
    expect(paths.tasks('acme', '?status=todo')).toBe('/w/acme/tasks?status=todo');
    for (const page of ['projects', 'board', 'members', 'tokens', 'webhooks'] as const) {
      expect(parseRoute(paths[page]('acme'))).toEqual({ page, slug: 'acme' });
    }
    expect(parseRoute(paths.signIn)).toEqual({ page: 'sign-in' });
  });

  it('encodes slugs and task ids, so any value survives the round trip', () => {
    const path = paths.task('a b/c', 't/1?x');

    expect(path).toBe('/w/a%20b%2Fc/tasks/t%2F1%3Fx');
    expect(parseRoute(path)).toEqual({ page: 'task', slug: 'a b/c', taskId: 't/1?x' });
  });
});
