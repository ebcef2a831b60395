// Live streams as the per-user cap meets them: raw SSE requests (tasks.onChange), held
// open until the test closes them.
import { within } from './subscription.js';

/** An opened stream's answer, and how to close it. */
export interface OpenedStream {
  response: Response;
  close(): void;
}

/** Opens streams on one server, and closes every one still open at the end. */
export function streamOpener(url: () => string) {
  const aborts: AbortController[] = [];

  /**
   * Opens tasks.onChange (or whatever `path` names) on `on` (the server's URL by default);
   * a 200 stream is read up to its first event (connected), so its slot is taken.
   */
  async function open(
    token: string,
    workspaceId: string,
    { path = 'tasks.onChange', on = url() }: { path?: string; on?: string } = {},
  ): Promise<OpenedStream> {
    const abort = new AbortController();
    aborts.push(abort);
    const input = encodeURIComponent(JSON.stringify({ workspaceId }));
    const response = await fetch(`${on}/trpc/${path}?input=${input}`, {
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
      signal: abort.signal,
    });
    if (response.status === 200 && response.body) {
      await within(response.body.getReader().read(), 'the connected event');
    }
    return { response, close: () => abort.abort() };
  }

  /**
   * Opens streams until one is admitted (a closed stream's slot comes back once its server
   * sees the socket close): its status, 200, or the last refusal's after `attempts`.
   */
  async function openOnceFreed(
    token: string,
    workspaceId: string,
    options: { on?: string } = {},
    attempts = 50,
  ): Promise<number> {
    let status = 0;
    for (let attempt = 0; attempt < attempts && status !== 200; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await open(token, workspaceId, options)).response.status;
    }
    return status;
  }

  const closeAll = () => {
    for (const abort of aborts) abort.abort();
  };
  return { open, openOnceFreed, closeAll };
}
