// What the browser tests stand on: the real server serving the built dashboard (as
// production does), Debian's Chromium driven by playwright-core, and artifacts on failure.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@trellis/client';
import {
  type Browser,
  type BrowserContext,
  chromium,
  type Locator,
  type Page,
} from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
// Imported by path, as examples/ does: @trellis/server exports no test helpers, and a
// package dependency on it would be a cycle (the server depends on the dashboard's build).
import {
  startTestServer,
  type TestServer,
  verifyEmailByMail,
} from '../../server/test/support/server.js';

/**
 * The dashboard's build: `turbo` builds it before this package's tests (turbo.json).
 * TRELLIS_E2E_DASHBOARD_DIR points the tests at another build (e.g. a deliberately broken
 * one, to see a test fail).
 */
export const DASHBOARD_DIR =
  process.env.TRELLIS_E2E_DASHBOARD_DIR || fileURLToPath(new URL('../dist/', import.meta.url));
/** Where screenshots of failed tests go (gitignored). */
export const ARTIFACTS_DIR = fileURLToPath(new URL('../e2e-artifacts/', import.meta.url));

const CHROMIUM = '/usr/bin/chromium';
/** How long a condition may take to hold before a test fails. */
export const WAIT_MS = 10_000;

/** A loopback port free right now (the system picks it; the probe is closed again). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => resolve());
  });
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('the probe has no port');
  return address.port;
}

/**
 * The real server on a fresh test database, serving the built dashboard at `/`, its mail
 * going to its own SMTP mailbox (`server.mailbox`). Its PUBLIC_URL is its own address, so
 * the links in its mails open in the browser as a person's would; hence a port chosen
 * before it starts. Run on SQLite only: `pnpm test`'s PostgreSQL pass leaves the browser
 * tests out (scripts/test.mjs), since the API they drive is covered on PostgreSQL by
 * apps/server's suite.
 */
export async function startServer(overrides: ServerOverrides = {}): Promise<TestServer> {
  if (!existsSync(join(DASHBOARD_DIR, 'index.html'))) {
    throw new Error(
      `No dashboard build in ${DASHBOARD_DIR}: run \`pnpm --filter @trellis/dashboard build\` ` +
        '(turbo does it first for `pnpm --filter @trellis/dashboard test` via `pnpm test`).',
    );
  }
  const port = await freePort();
  return startTestServer({
    ...overrides,
    dashboardDir: DASHBOARD_DIR,
    port,
    publicUrl: `http://127.0.0.1:${port}`,
  });
}

/** Settings a file's server differs in (e.g. `webhooks`), over the test defaults. */
export type ServerOverrides = NonNullable<Parameters<typeof startTestServer>[0]>;

/**
 * One server and one browser for all the tests of the calling file, closed after them:
 * `use` hands them to the file's own variables.
 */
export function serverAndBrowserForFile(
  use: (server: TestServer, browser: Browser) => void,
  overrides: ServerOverrides = {},
) {
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(overrides), launchBrowser()]);
    use(server, browser);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
}

/** Chromium as installed by apt (never a downloaded browser), headless. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does this)`);
  }
  // Playwright gives each launch a fresh temporary --user-data-dir of its own.
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Viewports the dashboard must work at. */
export const WIDE = { width: 1280, height: 800 };
export const NARROW = { width: 390, height: 844 };

/** What a test's pages did that no test wants: dialogs, CSP violations, page errors. */
export interface PageTrouble {
  dialogs: string[];
  cspViolations: string[];
  errors: string[];
}

/**
 * One test's browser side: fresh contexts (separate cookies, like separate people),
 * screenshots of each main page kept in memory and written to ARTIFACTS_DIR only when
 * the test fails, together with the last state of every open page.
 */
export class BrowserSession {
  private readonly contexts: BrowserContext[] = [];
  private readonly pages: { page: Page; name: string }[] = [];
  private readonly shots: { name: string; png: Buffer }[] = [];
  readonly trouble: PageTrouble = { dialogs: [], cspViolations: [], errors: [] };

  constructor(
    private readonly browser: Browser,
    readonly baseUrl: string,
  ) {}

  /** A page in a new context (its own cookies) at `viewport`; `name` labels its screenshots. */
  async newPage(name: string, viewport: { width: number; height: number } = WIDE): Promise<Page> {
    const context = await this.browser.newContext({ viewport, baseURL: this.baseUrl });
    context.setDefaultTimeout(WAIT_MS);
    this.contexts.push(context);
    const page = await context.newPage();
    this.pages.push({ page, name });
    page.on('dialog', (dialog) => {
      this.trouble.dialogs.push(`${name}: ${dialog.type()} "${dialog.message()}"`);
      void dialog.dismiss().catch(() => undefined);
    });
    page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) {
        this.trouble.cspViolations.push(`${name}: ${message.text()}`);
      }
    });
    page.on('pageerror', (error) => this.trouble.errors.push(`${name}: ${error.message}`));
    return page;
  }

  /** Keeps a screenshot of `page` as it is now, for the artifacts if the test fails. */
  async shot(page: Page, label: string): Promise<void> {
    const owner = this.pages.find((p) => p.page === page)?.name ?? 'page';
    this.shots.push({ name: `${owner}-${label}`, png: await page.screenshot({ fullPage: true }) });
  }

  /** Writes the kept screenshots and every open page's current state (`zz-<page>-<moment>`);
   * returns the folder. */
  async writeArtifacts(testName: string, moment = 'at-failure'): Promise<string> {
    const dir = join(ARTIFACTS_DIR, testName.replace(/[^a-z0-9]+/gi, '-').toLowerCase());
    mkdirSync(dir, { recursive: true });
    this.shots.forEach((shot, index) => {
      writeFileSync(join(dir, `${String(index + 1).padStart(2, '0')}-${shot.name}.png`), shot.png);
    });
    for (const { page, name } of this.pages) {
      if (page.isClosed()) continue;
      const png = await page.screenshot({ fullPage: true, timeout: 5_000 }).catch(() => null);
      if (png) writeFileSync(join(dir, `zz-${name}-${moment}.png`), png);
      writeFileSync(join(dir, `zz-${name}-${moment}.url.txt`), `${page.url()}\n`);
    }
    return dir;
  }

  async close(): Promise<void> {
    await Promise.all(this.contexts.map((context) => context.close().catch(() => undefined)));
  }
}

/**
 * Runs `body` with a fresh BrowserSession; on failure writes the artifacts, prints where,
 * and fails with the original error. Also fails a passing body whose pages opened a
 * dialog, broke the Content-Security-Policy or threw. `TRELLIS_E2E_SHOTS=1` writes the
 * screenshots of passing tests too, to look at the pages.
 */
export async function inBrowser(
  browser: Browser,
  baseUrl: string,
  testName: string,
  body: (session: BrowserSession) => Promise<void>,
): Promise<void> {
  const session = new BrowserSession(browser, baseUrl);
  try {
    await body(session);
    expect(session.trouble).toEqual({ dialogs: [], cspViolations: [], errors: [] });
    if (process.env.TRELLIS_E2E_SHOTS === '1') await session.writeArtifacts(testName, 'at-end');
  } catch (error) {
    const dir = await session.writeArtifacts(testName);
    console.error(`[e2e] "${testName}" failed; screenshots in ${dir}`);
    throw error;
  } finally {
    await session.close();
  }
}

/** Waits (bounded) until `locator` is visible. */
export async function visible(locator: Locator): Promise<Locator> {
  await locator.first().waitFor({ state: 'visible', timeout: WAIT_MS });
  return locator;
}

/** The visible text of every element `locator` matches now (no waiting), trimmed. */
export async function textsOf(locator: Locator): Promise<string[]> {
  return (await locator.allInnerTexts()).map((text) => text.replace(/\s+/g, ' ').trim());
}

/** Polls (bounded) until the texts of `locator`'s matches equal `expected`. */
export async function expectTexts(locator: Locator, expected: string[]): Promise<void> {
  await expect.poll(() => textsOf(locator), { timeout: WAIT_MS }).toEqual(expected);
}

/** Polls (bounded) until the page's heading level 1 reads `text`. */
export async function expectHeading(page: Page, text: string | RegExp): Promise<void> {
  const heading = page.getByRole('heading', { level: 1 });
  await expect
    .poll(async () => (await textsOf(heading)).join(' | '), { timeout: WAIT_MS })
    .toMatch(typeof text === 'string' ? new RegExp(`^${escapeRegExp(text)}$`) : text);
}

/**
 * How wide the document is against the viewport, and the outermost elements that make it
 * wider (tag.class, for the failure message): those past the right edge that no scrolling
 * box clips (an absolutely positioned element escapes a scroller that is not positioned).
 */
export async function horizontalOverflow(
  page: Page,
): Promise<{ scroll: number; inner: number; culprits: string[] }> {
  return page.evaluate(() => {
    const inner = window.innerWidth;
    const sticksOut = (element: Element) => element.getBoundingClientRect().right > inner + 0.5;
    const clipped = (element: Element) => {
      let escaping = ['absolute', 'fixed'].includes(getComputedStyle(element).position);
      for (let box = element.parentElement; box && box !== document.body; box = box.parentElement) {
        const style = getComputedStyle(box);
        if (escaping && style.position !== 'static') escaping = false;
        if (!escaping && style.overflowX !== 'visible') return true;
      }
      return false;
    };
    const culprits = [...document.body.querySelectorAll('*')]
      .filter((element) => sticksOut(element) && !clipped(element))
      .filter(
        (element) =>
          !(
            element.parentElement &&
            sticksOut(element.parentElement) &&
            !clipped(element.parentElement)
          ),
      )
      .slice(0, 5)
      .map((element) =>
        [element.tagName.toLowerCase(), ...element.classList]
          .join('.')
          .concat(` (right ${Math.round(element.getBoundingClientRect().right)})`),
      );
    return { scroll: document.scrollingElement?.scrollWidth ?? 0, inner, culprits };
  });
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

let seq = 0;

/** A new person's sign-up details, unique in this run. */
export function person(name: string) {
  seq += 1;
  return {
    name,
    email: `${name.toLowerCase().replace(/\W+/g, '-')}-${seq}-${Date.now()}@example.com`,
    password: 'correct horse battery staple',
  };
}

/** Signs `who` up through the API from Node (no browser), returning their client. */
export async function signUpOutsideBrowser(url: string, who: ReturnType<typeof person>) {
  const { session } = await createClient({ url }).auth.signUp.mutate(who);
  return createClient({ url, token: session.token });
}

/**
 * Signs `who` up from Node and verifies their email with the link from the mail the server
 * sent (as a person would, minus the browser), returning their client. Accepting an invite
 * needs a verified address.
 */
export async function signUpVerifiedOutsideBrowser(
  server: TestServer,
  who: ReturnType<typeof person>,
) {
  const client = await signUpOutsideBrowser(server.url, who);
  await verifyEmailByMail(server, who.email);
  return client;
}

/** Signs in through the dashboard's sign-in page. */
export async function signIn(page: Page, who: { email: string; password: string }) {
  await page.goto('/sign-in');
  await expectHeading(page, 'Sign in to Trellis');
  await page.getByLabel('Email', { exact: true }).fill(who.email);
  await page.getByLabel('Password', { exact: true }).fill(who.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

export type { Browser, Page, TestServer };
