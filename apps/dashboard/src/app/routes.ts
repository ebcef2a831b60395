// Every page of the dashboard and the path it lives at (the browser tests use them too).

/** A page and its parameters, parsed from a path. */
export type Route =
  | { page: 'sign-in' }
  | { page: 'sign-up' }
  | { page: 'forgot-password' }
  | { page: 'reset-password' }
  | { page: 'verify-email' }
  | { page: 'unsubscribe' }
  | { page: 'account' }
  | { page: 'home' }
  | { page: 'overview'; slug: string }
  | { page: 'projects'; slug: string }
  | { page: 'tasks'; slug: string }
  | { page: 'task'; slug: string; taskId: string }
  | { page: 'board'; slug: string }
  | { page: 'members'; slug: string }
  | { page: 'tokens'; slug: string }
  | { page: 'webhooks'; slug: string }
  | { page: 'not-found' };

const WORKSPACE_PAGES = ['projects', 'tasks', 'board', 'members', 'tokens', 'webhooks'] as const;

/** Pages at a path of one segment, outside any workspace. */
const TOP_PAGES = [
  'sign-in',
  'sign-up',
  'forgot-password',
  'reset-password',
  'verify-email',
  'unsubscribe',
  'account',
] as const;

/**
 * Pages anyone may open, signed in or not: no redirect to sign-in from them, so a mailed
 * link's `#token=` reaches its page whoever opens it.
 */
export const PUBLIC_PAGES: readonly Route['page'][] = [
  'sign-in',
  'sign-up',
  'forgot-password',
  'reset-password',
  'verify-email',
  'unsubscribe',
];

function decode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/** The page a path shows. */
export function parseRoute(pathname: string): Route {
  const parts = pathname.split('/').filter(Boolean).map(decode);
  if (parts.some((part) => part === null)) return { page: 'not-found' };
  const [first, slug, section, id, ...extra] = parts as string[];
  if (first === undefined) return { page: 'home' };
  if (parts.length === 1) {
    const page = TOP_PAGES.find((name) => name === first);
    if (page) return { page };
  }
  if (first !== 'w' || slug === undefined || extra.length > 0) return { page: 'not-found' };
  if (section === undefined) return { page: 'overview', slug };
  if (section === 'tasks' && id !== undefined) return { page: 'task', slug, taskId: id };
  if (id !== undefined) return { page: 'not-found' };
  const page = WORKSPACE_PAGES.find((name) => name === section);
  return page ? { page, slug } : { page: 'not-found' };
}

/** Paths of a workspace's pages. */
export const paths = {
  signIn: '/sign-in',
  signUp: '/sign-up',
  forgotPassword: '/forgot-password',
  resetPassword: '/reset-password',
  verifyEmail: '/verify-email',
  unsubscribe: '/unsubscribe',
  account: '/account',
  overview: (slug: string) => `/w/${encodeURIComponent(slug)}`,
  projects: (slug: string) => `/w/${encodeURIComponent(slug)}/projects`,
  tasks: (slug: string, search = '') => `/w/${encodeURIComponent(slug)}/tasks${search}`,
  task: (slug: string, taskId: string) =>
    `/w/${encodeURIComponent(slug)}/tasks/${encodeURIComponent(taskId)}`,
  board: (slug: string) => `/w/${encodeURIComponent(slug)}/board`,
  members: (slug: string) => `/w/${encodeURIComponent(slug)}/members`,
  tokens: (slug: string) => `/w/${encodeURIComponent(slug)}/tokens`,
  webhooks: (slug: string) => `/w/${encodeURIComponent(slug)}/webhooks`,
};
