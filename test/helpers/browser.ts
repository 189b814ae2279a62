/** @module Debian's Chromium driven by playwright-core, one browser per test file. */
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";

/** The browser CI installs from Debian (`.ci/run`); never a downloaded one. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export type OpenPage = {
  page: Page;
  context: BrowserContext;
  /** Every dialog (alert, confirm, prompt) the page opened: an injected script would. */
  dialogs: string[];
  /** Uncaught errors of the page's scripts. */
  errors: string[];
};

/** Starts headless Chromium before the file's tests and closes it after. */
export type PageOptions = {
  /** Viewport width in CSS pixels. @default 1280 */
  width?: number;
  /** @default true */
  javaScript?: boolean;
};

export function useBrowser(): { newPage(options?: PageOptions): Promise<OpenPage> } {
  let browser: Browser | undefined;
  beforeAll(async () => {
    // As root (CI) Chromium refuses its sandbox; the pages are our own, on loopback.
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      chromiumSandbox: false,
    });
  });
  afterAll(async () => {
    await browser?.close();
  });
  return {
    async newPage({ width = 1280, javaScript = true }: PageOptions = {}) {
      if (browser === undefined) {
        throw new Error("useBrowser: the browser is not started (call newPage inside a test)");
      }
      const context = await browser.newContext({
        viewport: { width, height: 900 },
        javaScriptEnabled: javaScript,
      });
      const page = await context.newPage();
      const dialogs: string[] = [];
      const errors: string[] = [];
      page.on("dialog", (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      page.on("pageerror", (e) => errors.push(e.message));
      return { page, context, dialogs, errors };
    },
  };
}
