// A real browser for the web GUI's tests: Debian's Chromium driven by
// playwright-core (no browser download), headless, and a record of every
// request the page makes (URL, headers, body) and every WebSocket frame it
// sends, so a test can prove what never left the page.
import { existsSync } from "node:fs";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

export const chromiumPath = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find(existsSync) ?? null;

/** Why the browser tests cannot run here, or false. */
export const withoutChromium: string | false = chromiumPath
  ? false
  : "Chromium is not installed (scripts/setup.sh installs Debian's chromium)";

export interface SentRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
}

export interface RecordedPage {
  page: Page;
  context: BrowserContext;
  requests: SentRequest[];
  /** Text of every WebSocket frame the page sent (binary frames as latin1). */
  framesSent: string[];
  /** Errors the page's scripts threw. */
  errors: string[];
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath!,
    args: ["--no-sandbox", "--disable-background-networking", "--disable-gpu"],
  });
}

export async function recordedPage(browser: Browser): Promise<RecordedPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, acceptDownloads: true });
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  const page = await context.newPage();
  const recorded: RecordedPage = { page, context, requests: [], framesSent: [], errors: [] };
  page.on("request", (r) =>
    recorded.requests.push({
      url: r.url(),
      method: r.method(),
      headers: r.headers(),
      body: r.postData() ?? "",
    }),
  );
  page.on("websocket", (ws) =>
    ws.on("framesent", (f) =>
      recorded.framesSent.push(typeof f.payload === "string" ? f.payload : f.payload.toString("latin1")),
    ),
  );
  page.on("pageerror", (e) => recorded.errors.push(e.message));
  return recorded;
}

/** Whether `check` comes true within `ms`: a page re-renders a moment after an input, and later still under load. */
export async function eventually(check: () => Promise<boolean>, ms = 5000): Promise<boolean> {
  for (const end = Date.now() + ms; ; ) {
    if (await check()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A locator's text once it is `wanted` (or matches it), or its last text after `ms` for the
 * assertion's message: what a page shows follows an answer, a live event or a re-render.
 */
export async function settledText(
  locator: { innerText(): Promise<string> },
  wanted: string | RegExp,
  ms = 10_000,
): Promise<string> {
  let text = "";
  await eventually(async () => {
    text = await locator.innerText();
    return typeof wanted === "string" ? text === wanted : wanted.test(text);
  }, ms);
  return text;
}
