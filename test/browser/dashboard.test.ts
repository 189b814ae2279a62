import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { Miniflare } from "miniflare";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jobRecord, recordSnapshot } from "../../src/lib/index";
import { parseXInfoConsumers, parseXInfoGroups } from "../../src/lib/replies/index";
import { useBrowser } from "../helpers/browser";
import { linesOf } from "../helpers/log-lines";
import { parseXPendingSummary } from "../helpers/pending-summary";
import { upstash, useKeyspace } from "../helpers/redis";
import {
  DEAD_CONSUMER,
  EMPTY_DRAIN,
  fillStreams,
  type Names,
  namesOf,
  startDashboardWorker,
  TOKEN,
  touchLiveConsumer,
} from "./fixture";

const ks = useKeyspace("dash-ui", { scope: "suite" });
const { d } = ks;
const browser = useBrowser();
const logs: string[] = [];
let mf: Miniflare;
let base: string;
let n: Names;

beforeAll(async () => {
  n = namesOf(ks);
  mf = await startDashboardWorker(ks, logs);
  base = (await mf.ready).toString().replace(/\/$/, "");
  await fillStreams(ks, mf);
}, 120_000);
afterAll(async () => {
  await mf?.dispose();
});

/** Where screenshots go: docs/images with UPDATE_SCREENSHOTS=1, else a temporary folder. */
const shots =
  process.env.UPDATE_SCREENSHOTS === "1"
    ? join(import.meta.dirname, "../../docs/images")
    : mkdtempSync(join(tmpdir(), "rsw-shots-"));

async function logIn(page: Page): Promise<void> {
  await page.goto(`${base}/dashboard`);
  await page.fill("#token", TOKEN);
  await page.click("button[type=submit]");
  // The login form is at /dashboard too: wait for the page it leads to, not for the URL.
  await page.waitForSelector("form[action='/dashboard/logout']");
  await page.waitForLoadState("load");
}

/** 1,440 snapshots, one a minute over the last 24 h: the most a page charts by default. */
async function dayOfHistory(stream: string, group: string): Promise<void> {
  const redis = upstash();
  const now = Date.now();
  for (let m = 1440; m >= 1; m--) {
    const at = now - m * 60_000;
    const report = { ...EMPTY_DRAIN, read: m % 50, acked: m % 50, failed: m % 3 };
    await recordSnapshot({
      redis,
      stream,
      group,
      dlqStream: `${stream}:dlq`,
      now: at,
      record: jobRecord("drain", report, at),
    });
  }
}

const xlen = async (key: string) => Number(await d.sendCommand(["XLEN", key]));
const groupOf = async (stream: string, name: string) =>
  parseXInfoGroups(await d.sendCommand(["XINFO", "GROUPS", stream])).find((g) => g.name === name);
const streamQuery = (stream: string, group: string) => new URLSearchParams({ stream, group });

/** The text of one overview cell, digits only. */
async function cell(page: Page, stream: string, field: string): Promise<number> {
  const text = await page.textContent(`tr[data-stream="${stream}"] [data-field="${field}"]`);
  return Number((text ?? "").replace(/[^0-9]/g, ""));
}

describe("without a session", () => {
  it("shows the login form and no stream data", async () => {
    const { page } = await browser.newPage();
    await page.goto(`${base}/dashboard`);
    expect(await page.isVisible("#token")).toBe(true);
    expect(await page.content()).not.toContain(ks.prefix);
    expect(await page.locator("#overview").count()).toBe(0);
  });

  it("leaves the API routes answering 401", async () => {
    const { page, context } = await browser.newPage();
    await logIn(page);
    const res = await context.request.get(`${base}/stats`);
    expect(res.status()).toBe(401);
  });
});

describe("the overview", () => {
  it("shows every stream's numbers as XINFO and XLEN read them on a direct connection", async () => {
    const { page } = await browser.newPage();
    await logIn(page);
    const groups = { [n.orders]: "fulfilment", [n.payments]: "ledger", [n.emails]: "mailers" };
    for (const [stream, group] of Object.entries(groups)) {
      const g = await groupOf(stream, group);
      expect(await cell(page, stream, "length")).toBe(await xlen(stream));
      expect(await cell(page, stream, "pending")).toBe(g?.pending);
      expect(await cell(page, stream, "backlog")).toBe(g?.lag);
      expect(await cell(page, stream, "dlq")).toBe(await xlen(`${stream}:dlq`));
      expect(await cell(page, stream, "consumers")).toBe(g?.consumers);
    }
  });

  it("puts the stream with a dead consumer first", async () => {
    const { page } = await browser.newPage();
    await touchLiveConsumer(ks);
    await logIn(page);
    const first = await page.getAttribute("#overview tbody tr:first-child", "data-stream");
    expect(first).toBe(n.orders);
    expect(await page.textContent(`tr[data-stream="${n.orders}"] [data-field=alerts]`)).toContain(
      "1 alerting",
    );
  });

  it("fits a 375 px wide screen without sideways scrolling of the page", async () => {
    const { page } = await browser.newPage({ width: 375 });
    await touchLiveConsumer(ks);
    await logIn(page);
    const width = await page.evaluate<number>("document.documentElement.scrollWidth");
    await page.screenshot({ path: join(shots, "dashboard-375.png"), fullPage: true });
    const wide = await page.evaluate<string[]>(
      `[...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > 375).map((e) => e.tagName + "." + e.className + " " + Math.round(e.getBoundingClientRect().right))`,
    );
    expect(width, `wider than the screen: ${wide.join(", ")}`).toBeLessThanOrEqual(375);
    // Each row reads as a card: its numbers are on screen, not scrolled away to the right.
    const box = await page.locator(`tr[data-stream="${n.orders}"] [data-field=dlq]`).boundingBox();
    expect((box?.x ?? 999) + (box?.width ?? 0)).toBeLessThanOrEqual(375);
  });

  it("refreshes its numbers without reloading the page", async () => {
    const { page } = await browser.newPage();
    await logIn(page);
    await page.goto(`${base}/dashboard#refresh=1`);
    await page.reload();
    const before = await cell(page, n.emails, "length");
    // A full reload would lose this mark: the refresh swaps the table in place.
    await page.evaluate("window.marker = 42");
    await d.sendCommand(["XADD", n.emails, "*", "to", "refresh@example.com"]);
    await expect
      .poll(() => cell(page, n.emails, "length"), { timeout: 10_000, interval: 250 })
      .toBe(before + 1);
    expect(await page.evaluate<number>("window.marker")).toBe(42);
  });

  it("costs three requests per stream to show (or refresh)", async () => {
    const { page } = await browser.newPage();
    await logIn(page);
    // The second load: the backlog script is known to Redis by then (no NOSCRIPT retry).
    await page.reload();
    const last = linesOf(logs, "dashboard_overview").at(-1);
    expect(last?.requests).toBe(3 * 3);
  });

  it("works without JavaScript: login and the table are plain HTML", async () => {
    const { page } = await browser.newPage({ javaScript: false });
    await logIn(page);
    expect(await cell(page, n.payments, "length")).toBe(await xlen(n.payments));
  });
});

describe("a stream's page", () => {
  const open = async (page: Page) =>
    page.goto(`${base}/dashboard/stream?${streamQuery(n.orders, "fulfilment")}`);

  it("shows each consumer's pending entries as XINFO CONSUMERS does, and XPENDING's total", async () => {
    const { page } = await browser.newPage();
    await logIn(page);
    await open(page);
    const consumers = parseXInfoConsumers(
      await d.sendCommand(["XINFO", "CONSUMERS", n.orders, "fulfilment"]),
    );
    for (const c of consumers) {
      const text = await page.textContent(`tr[data-consumer="${c.name}"] td[data-field=pending]`);
      expect(Number(text?.replace(/[^0-9]/g, ""))).toBe(c.pending);
    }
    const summary = parseXPendingSummary(await d.sendCommand(["XPENDING", n.orders, "fulfilment"]));
    const card = await page.textContent("#cards [data-field=pending]");
    expect(Number(card?.replace(/[^0-9]/g, ""))).toBe(summary.count);
  });

  it("costs four requests to show a stream of one group", async () => {
    const { page } = await browser.newPage();
    await logIn(page);
    await open(page);
    await page.reload();
    expect(linesOf(logs, "dashboard_stream").at(-1)?.requests).toBe(4);
  });

  it("highlights the consumer idle past the threshold with pending entries, and only it", async () => {
    const { page } = await browser.newPage();
    await touchLiveConsumer(ks);
    await logIn(page);
    await open(page);
    const dead = await page.$$eval("tr.dead[data-consumer]", (rows) =>
      rows.map((r) => r.getAttribute("data-consumer")),
    );
    expect(dead).toEqual([DEAD_CONSUMER]);
    expect(await page.textContent(`tr[data-consumer="${DEAD_CONSUMER}"]`)).toContain("may be dead");
  });

  it("draws the last hour's backlog, pending and throughput from the recorded snapshots", async () => {
    const { page } = await browser.newPage();
    await logIn(page);
    await open(page);
    const paths = await page.$$eval("#charts figure.chart path", (ps) =>
      ps.map((p) => (p.getAttribute("d") ?? "").split("L").length),
    );
    expect(paths.length).toBe(10);
    expect(Math.max(...paths)).toBeGreaterThanOrEqual(50);
    expect(await page.textContent("#reports")).toContain("Last drain");
  });
});

describe("screenshots and weight", () => {
  it("takes the README's screenshots of the overview and of a stream's page", async () => {
    const { page } = await browser.newPage({ width: 1280 });
    await touchLiveConsumer(ks);
    await logIn(page);
    mkdirSync(shots, { recursive: true });
    const overview = await page.screenshot({
      path: join(shots, "dashboard-overview.png"),
      fullPage: true,
    });
    await page.goto(`${base}/dashboard/stream?${streamQuery(n.orders, "fulfilment")}`);
    const stream = await page.screenshot({
      path: join(shots, "dashboard-stream.png"),
      fullPage: true,
    });
    await page.goto(`${base}/dashboard/dlq?${streamQuery(n.payments, "ledger")}`);
    const deadLetters = await page.screenshot({
      path: join(shots, "dashboard-dead-letters.png"),
      fullPage: true,
    });
    expect(await page.locator("#dead-letters tbody tr").count()).toBe(3);
    // A PNG of a page with content, not a blank or an error page.
    expect(overview.subarray(1, 4).toString()).toBe("PNG");
    expect(stream.length).toBeGreaterThan(overview.length / 2);
    expect(deadLetters.subarray(1, 4).toString()).toBe("PNG");
  });

  it("keeps a stream's page with a full day of history under 100 KB gzipped", async () => {
    await dayOfHistory(n.emails, "mailers");
    const { page, context } = await browser.newPage();
    await logIn(page);
    const urls = [
      `${base}/dashboard/stream?${streamQuery(n.emails, "mailers")}`,
      `${base}/dashboard/assets/style.css`,
      `${base}/dashboard/assets/live.js`,
    ];
    const bodies = await Promise.all(urls.map(async (u) => (await context.request.get(u)).body()));
    const sizes = bodies.map((b) => gzipSync(b).length);
    const total = sizes.reduce((a, b) => a + b, 0);
    const weight = {
      html: sizes[0],
      css: sizes[1],
      js: sizes[2],
      total,
      htmlRaw: bodies[0]?.length,
    };
    writeFileSync(join(shots, "dashboard-weight.json"), `${JSON.stringify(weight, null, 2)}\n`);
    expect(bodies[0]?.toString()).toContain("24 h");
    expect(total).toBeLessThan(100 * 1024);
  });
});

describe("dead letters", () => {
  const list = (page: Page) =>
    page.goto(`${base}/dashboard/dlq?${streamQuery(n.payments, "ledger")}`);

  it("shows a `<script>` body as text and never runs it", async () => {
    const { page, dialogs, errors } = await browser.newPage();
    await logIn(page);
    await list(page);
    const rows = await page.$$eval("#dead-letters tbody tr", (trs) =>
      trs.map((tr) => tr.getAttribute("data-dlq-id") ?? ""),
    );
    let found = false;
    for (const id of rows) {
      await page.goto(
        `${base}/dashboard/dlq/entry?${new URLSearchParams({ stream: n.payments, group: "ledger", id })}`,
      );
      const payloads = await page.$$eval("pre.payload", (ps) => ps.map((p) => p.textContent));
      found ||= payloads.includes("<script>alert(1)</script>");
    }
    expect(found).toBe(true);
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
  });

  it("pretty-prints a JSON payload", async () => {
    const { page } = await browser.newPage();
    await logIn(page);
    await list(page);
    await page.click("#dead-letters tbody tr:first-child a");
    const payloads = await page.$$eval("pre.payload", (ps) => ps.map((p) => p.textContent ?? ""));
    expect(payloads.some((p) => p.includes('\n  "payment": "P-'))).toBe(true);
  });

  it("redrives a selection: the dry run lists it and moves nothing, confirming moves it", async () => {
    const { page } = await browser.newPage();
    await logIn(page);
    await list(page);
    const [dlqBefore, streamBefore] = [await xlen(`${n.payments}:dlq`), await xlen(n.payments)];
    const boxes = page.locator("#dead-letters input[type=checkbox]");
    await boxes.nth(0).check();
    await boxes.nth(1).check();
    const chosen = await page.$$eval("#dead-letters input:checked", (bs) =>
      bs.map((b) => b.getAttribute("value")),
    );
    await page.click("text=Redrive selected…");
    const listed = await page.$$eval("tr[data-moved]", (trs) =>
      trs.map((t) => t.getAttribute("data-moved")),
    );
    expect(listed.sort()).toEqual([...chosen].sort());
    expect(await xlen(`${n.payments}:dlq`)).toBe(dlqBefore);
    await page.click("#confirm-redrive");
    expect(await page.textContent("#redrive-summary")).toContain("Moved 2");
    expect(await xlen(`${n.payments}:dlq`)).toBe(dlqBefore - 2);
    expect(await xlen(n.payments)).toBe(streamBefore + 2);
  });

  it("refuses a POST without the CSRF token and moves nothing", async () => {
    const { page, context } = await browser.newPage();
    await logIn(page);
    const before = await xlen(`${n.payments}:dlq`);
    const res = await context.request.post(`${base}/dashboard/dlq/redrive`, {
      form: { stream: n.payments, group: "ledger", all: "1", confirm: "1" },
    });
    expect(res.status()).toBe(403);
    expect(await xlen(`${n.payments}:dlq`)).toBe(before);
  });
});

describe("actions", () => {
  const open = async (page: Page, stream: string, group: string) =>
    page.goto(`${base}/dashboard/stream?${streamQuery(stream, group)}`);

  it("drains now only once confirmed, then shows the drain's report", async () => {
    const { page } = await browser.newPage();
    await logIn(page);
    await open(page, n.emails, "mailers");
    await d.sendCommand(["XADD", n.emails, "*", "to", "now@example.com"]);
    await page.click("text=Drain now…");
    expect(await page.textContent("#question")).toContain("Run one drain");
    expect((await groupOf(n.emails, "mailers"))?.lag).toBeGreaterThan(0);
    await page.click("#confirm");
    expect(await page.textContent("h2")).toBe("Drain done");
    expect(Number(await page.textContent('[data-field="acked"]'))).toBeGreaterThan(0);
    expect((await groupOf(n.emails, "mailers"))?.lag).toBe(0);
  });

  it("resets a group only once confirmed, and shows the previous id to undo it", async () => {
    const { page } = await browser.newPage();
    await logIn(page);
    await open(page, n.emails, "mailers");
    const before = (await groupOf(n.emails, "mailers"))?.lastDeliveredId;
    await page.fill("input[name=id]", "0");
    await page.click("text=Reset…");
    expect(await page.textContent("body")).toContain(before);
    expect((await groupOf(n.emails, "mailers"))?.lastDeliveredId).toBe(before);
    await page.click("#confirm");
    expect((await groupOf(n.emails, "mailers"))?.lastDeliveredId).toBe("0-0");
    expect(await page.textContent("#outcome")).toContain(before);
  });

  it("deletes one dead letter only once confirmed", async () => {
    const { page } = await browser.newPage();
    await logIn(page);
    await page.goto(`${base}/dashboard/dlq?${streamQuery(n.payments, "ledger")}`);
    const before = await xlen(`${n.payments}:dlq`);
    await page.click("#dead-letters tbody tr:first-child a");
    await page.click("text=Delete…");
    expect(await xlen(`${n.payments}:dlq`)).toBe(before);
    await page.click("#confirm");
    expect(await page.textContent("#outcome")).toContain("yes");
    expect(await xlen(`${n.payments}:dlq`)).toBe(before - 1);
  });
});
