// The status pages in a real browser: Debian's chromium driven by playwright-core, against a real
// `wrangler dev` polling the LlamaCloud simulator. Screenshots land in screenshots/ (gitignored) for
// people to look at; the assertions cover what a screenshot would show going wrong.

import { mkdirSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { noHorizontalScroll, shoot as shootIn, useChromium } from "./chromium";
import { useStack } from "./harness";

const SCREENSHOTS = path.join(import.meta.dirname, "..", "..", "screenshots");

const { stack, sim, api, tickWhenDue } = useStack({ vars: { POLL_INTERVAL_SECONDS: "1" } });

const LABEL_ATTACK = `<img src=x onerror="alert('label')"> Invoices`;

async function track(id: string, label: string) {
  const res = await api("/api/jobs", { method: "POST", json: { job_id: id, label } });
  expect(res.status).toBe(201);
}

beforeAll(async () => {
  // A job that moves step by step (so its chart has a history), one that ends well, one that
  // fails, one that never started, and one whose label tries to inject markup.
  await sim().createJob({
    id: "bjb-ui-running",
    mode: "manual",
    total_items: 120,
    items_per_step: 12,
    failed_every: 7,
    skipped_every: 11,
  });
  await sim().createJob({
    id: "bjb-ui-done",
    mode: "manual",
    total_items: 30,
    items_per_step: 10,
    start_at: "end",
  });
  await sim().createJob({
    id: "bjb-ui-fails",
    mode: "manual",
    total_items: 50,
    items_per_step: 5,
    scenario: "fails",
    start_at: "end",
  });
  await sim().createJob({ id: "bjb-ui-queued", mode: "manual", total_items: 10 });
  await sim().createJob({ id: "bjb-ui-attack", mode: "manual", total_items: 10, start_at: "running" });
  await track("bjb-ui-running", "Quarterly invoices");
  await track("bjb-ui-done", "Contracts backfill");
  await track("bjb-ui-fails", "Scanned receipts");
  await track("bjb-ui-queued", "Queued batch");
  await track("bjb-ui-attack", LABEL_ATTACK);
  for (const step of ["dispatched", "running"] as const) {
    await sim().advance("bjb-ui-running", { to: step });
    await tickWhenDue();
  }
  for (let i = 0; i < 5; i++) {
    await sim().advance("bjb-ui-running");
    await tickWhenDue();
  }
}, 120_000);

const { open } = useChromium(() => stack().readToken);

async function shoot(page: Parameters<typeof shootIn>[0], name: string) {
  await shootIn(page, SCREENSHOTS, name);
}

describe.each(["desktop", "phone"] as const)("the pages at %s width", (kind) => {
  it("the dashboard lists every job with status, progress and last poll", async () => {
    const { page, problems, cspViolations } = await open(kind);
    const res = await page.goto(`${stack().url}/`);
    expect(res?.status()).toBe(200);
    await expect(page.title()).resolves.toBe("Jobs · batchwatch");
    for (const label of [
      "Quarterly invoices",
      "Contracts backfill",
      "Scanned receipts",
      "Queued batch",
      LABEL_ATTACK,
    ]) {
      await expect(page.getByRole("link", { name: label, exact: true }).isVisible()).resolves.toBe(true);
    }
    // Markup in a label is shown as text, never run.
    expect(await page.locator("a.job-link img").count()).toBe(0);
    expect(await page.locator("progress").count()).toBe(5);
    expect(await page.locator("time").count()).toBe(5);
    const row = page.locator("tbody tr", { hasText: "Scanned receipts" });
    await expect(row.locator(".badge").textContent()).resolves.toBe("failed");
    await expect(row.locator(".marker-error").isVisible()).resolves.toBe(true);
    expect(await page.locator('meta[http-equiv="refresh"]').count()).toBe(1);
    await noHorizontalScroll(page);
    await shoot(page, `dashboard-${kind}`);
    expect(await cspViolations()).toEqual([]);
    expect(problems).toEqual([]);
  });

  it("the job page draws the chart, timeline, ETA and health", async () => {
    const { page, problems, cspViolations } = await open(kind);
    await page.goto(`${stack().url}/`);
    await page.getByRole("link", { name: "Quarterly invoices", exact: true }).click();
    await page.waitForURL(/\/jobs\/bjb-ui-running$/);
    await expect(page.locator("h1").textContent()).resolves.toBe("Quarterly invoices");
    await expect(page.locator(".headline .badge").textContent()).resolves.toBe("running");

    const chart = page.locator("figure.chart > svg");
    const box = await chart.boundingBox();
    expect(box?.width).toBeGreaterThan(kind === "phone" ? 300 : 800);
    expect(box?.height).toBeGreaterThan(200);
    for (const series of ["processed", "failed", "skipped", "total"]) {
      const line = page.locator(`polyline[data-series="${series}"]`);
      expect(await line.count(), series).toBe(1);
      const lineBox = await line.boundingBox();
      expect(lineBox?.width, `${series} is drawn`).toBeGreaterThan(50);
      // The stroke colour comes from the nonce'd stylesheet: proof the CSS applied under the CSP.
      const stroke = (await line.evaluate("(el) => getComputedStyle(el).stroke")) as string;
      expect(stroke, series).not.toBe("none");
    }
    expect(await page.locator("figure.chart > svg > text").count()).toBeGreaterThanOrEqual(4);
    const timeline = await page.locator("ol.timeline .badge").allTextContents();
    expect(timeline).toEqual(["pending", "dispatched", "running"]);
    await expect(page.locator(".eta").textContent()).resolves.toMatch(/left|Stalled|No estimate/);
    await expect(page.getByRole("heading", { name: "Tracking health" }).isVisible()).resolves.toBe(true);
    expect(await page.locator("table tbody tr").count()).toBeGreaterThanOrEqual(7);
    await noHorizontalScroll(page);
    await shoot(page, `job-${kind}`);
    await page.locator("figure.chart").screenshot({ path: path.join(SCREENSHOTS, `chart-${kind}.png`) });
    expect(await cspViolations()).toEqual([]);
    expect(problems).toEqual([]);
  });

  it("a finished and a failed job show their end state; dark mode applies", async () => {
    const { page, problems, cspViolations } = await open(kind, { colorScheme: "dark" });
    await page.goto(`${stack().url}/jobs/bjb-ui-fails`);
    await expect(page.locator(".notice.bad").isVisible()).resolves.toBe(true);
    expect(await page.locator('meta[http-equiv="refresh"]').count()).toBe(0);
    const background = await page.evaluate<string>("getComputedStyle(document.body).backgroundColor");
    expect(background).toBe("rgb(15, 18, 22)");
    await noHorizontalScroll(page);
    await shoot(page, `job-failed-dark-${kind}`);
    await page.goto(`${stack().url}/`);
    await shoot(page, `dashboard-dark-${kind}`);
    expect(await cspViolations()).toEqual([]);
    expect(problems).toEqual([]);
  });
});

describe("outside the happy path", () => {
  it("a browser without credentials gets the Basic prompt (401)", async () => {
    const { page } = await open("desktop", { credentials: false });
    // Headless chromium cancels a Basic prompt nobody answers (ERR_INVALID_AUTH_CREDENTIALS), so the
    // challenge is read through the same profile's request API.
    const res = await page.context().request.get(`${stack().url}/`);
    expect(res.status()).toBe(401);
    expect(res.headers()["www-authenticate"]).toMatch(/^Basic realm="batchwatch"/);
    expect(await res.text()).toContain("Sign in");
  });

  it("an unknown job is a 404 page; the badge renders as an image", async () => {
    const { page, problems } = await open("desktop");
    const res = await page.goto(`${stack().url}/jobs/bjb-ui-never`);
    expect(res?.status()).toBe(404);
    await expect(page.locator("h1").textContent()).resolves.toBe("Job not found");
    await shoot(page, "not-found-desktop");
    // The browser reports the 404 itself; nothing else may go wrong.
    expect(problems.filter((p) => !p.includes("404"))).toEqual([]);

    const badge = await page.goto(`${stack().url}/jobs/bjb-ui-running/badge.svg`);
    expect(badge?.status()).toBe(200);
    expect(badge?.headers()["content-type"]).toContain("image/svg+xml");
    const svg = page.locator("svg");
    const size = await svg.boundingBox();
    expect(size?.height).toBe(20);
    expect(size?.width).toBeGreaterThan(80);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await svg.screenshot({ path: path.join(SCREENSHOTS, "badge.png"), timeout: 10_000 });
  });
});
