// The few calls the benchmark makes outside the measured load: sign in, walk a list for
// cursors, and check that both servers answer alike.

/** A response as received: status and parsed JSON (or the raw text if it is not JSON). */
export interface Answer {
  status: number;
  body: unknown;
}

/** Sends one request to `url` and reads the answer. */
export async function send(
  url: string,
  init: { method?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const response = await fetch(url, init);
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) };
  } catch {
    return { status: response.status, body: text };
  }
}

/** The `data` of a 200 tRPC answer `{result: {data}}`; throws on anything else. */
export function dataOf(answer: Answer, what: string): unknown {
  const body = answer.body as { result?: { data?: unknown } } | null;
  if (answer.status !== 200 || typeof body !== 'object' || body?.result === undefined) {
    throw new Error(`${what}: HTTP ${answer.status} ${JSON.stringify(answer.body).slice(0, 500)}`);
  }
  return body.result.data;
}

/** Signs in through the real server (auth.signIn) and returns the session token. */
export async function signIn(serverUrl: string, email: string, password: string): Promise<string> {
  const answer = await send(`${serverUrl}/trpc/auth.signIn`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  const data = dataOf(answer, `signing in as ${email}`) as { session?: { token?: unknown } };
  const token = data.session?.token;
  if (typeof token !== 'string') throw new Error('auth.signIn answered without a token');
  return token;
}
