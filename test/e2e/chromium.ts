// Debian's chromium driven by playwright-core, for the browser tests: fresh profiles with Basic auth
// that record every console error, page error, failed load, dialog and CSP violation a page causes.

import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, expect } from "vitest";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export const VIEWPORTS = {
  desktop: { viewport: { width: 1280, height: 900 } },
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
} as const;

export type Viewport = keyof typeof VIEWPORTS;

export interface Watched {
  page: Page;
  problems: string[];
  cspViolations: () => Promise<string[]>;
}

/**
 * Browser profiles for one test file, closed and deleted after its tests. `readToken` is asked for
 * when a profile opens (the stack starts after this is called).
 */
export function useChromium(readToken: () => string) {
  const userDataDirs: string[] = [];
  const contexts: BrowserContext[] = [];

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    for (const dir of userDataDirs) rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh browser profile with Basic auth, watching for console errors, page errors, failed loads and dialogs. */
  async function open(
    kind: Viewport,
    opts: { colorScheme?: "light" | "dark"; credentials?: boolean } = {},
  ): Promise<Watched> {
    const dir = mkdtempSync(path.join(tmpdir(), "batchwatch-chromium-"));
    userDataDirs.push(dir);
    const context = await chromium.launchPersistentContext(dir, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      ...VIEWPORTS[kind],
      colorScheme: opts.colorScheme ?? "light",
      ...(opts.credentials === false
        ? {}
        : { httpCredentials: { username: "viewer", password: readToken(), send: "always" as const } }),
    });
    contexts.push(context);
    // Runs before any page script (there is none) and reports every CSP violation the page causes.
    // (Browser-side code is passed as strings: this project's types describe workerd, not the DOM.)
    await context.addInitScript(`
      window.__csp = [];
      document.addEventListener("securitypolicyviolation", (e) => {
        window.__csp.push(e.violatedDirective + " " + e.blockedURI);
      });
    `);
    const page = context.pages()[0] ?? (await context.newPage());
    const problems: string[] = [];
    page.on("console", (msg) => {
      if (msg.type() === "error" || msg.type() === "warning")
        problems.push(`console ${msg.type()}: ${msg.text()}`);
    });
    page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
    page.on("dialog", (dialog) => {
      problems.push(`dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
    page.on("requestfailed", (req) => problems.push(`request failed: ${req.url()}`));
    page.on("response", (res) => {
      if (res.status() >= 400) problems.push(`HTTP ${res.status()} for ${res.url()}`);
    });
    return {
      page,
      problems,
      cspViolations: () => page.evaluate<string[]>("window.__csp"),
    };
  }

  return { open };
}

export async function noHorizontalScroll(page: Page) {
  const { scrollWidth, innerWidth } = await page.evaluate<{ scrollWidth: number; innerWidth: number }>(
    "({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })",
  );
  expect(scrollWidth, "the page is wider than the screen").toBeLessThanOrEqual(innerWidth);
}

/** A full-page screenshot `name`.png in `dir` (created when missing). */
export async function shoot(page: Page, dir: string, name: string) {
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}
