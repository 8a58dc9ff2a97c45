// v2 batches in a real browser: the simulator serves a batch whose files partly fail, real
// `wrangler dev` tracks it and polls it on fired ticks, and Debian's chromium reads the dashboard and
// the job page's Files section (failed files first with their errors, plain-link pages). Screenshots
// land in test-results/browser-v2/ (gitignored) for people to look at.

import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { noHorizontalScroll, shoot, useChromium, type Viewport } from "./chromium";
import { eventually, useStack } from "./harness";

const SHOTS = path.join(import.meta.dirname, "..", "..", "test-results", "browser-v2");

const { stack, sim, api, tickWhenDue } = useStack({ vars: { POLL_INTERVAL_SECONDS: "1" } });
const { open } = useChromium(() => stack().readToken);

const BATCH = "bat-ui-files";
const LARGE = "bat-ui-thousand";
// The simulator's error messages for failing parse jobs and for files it cannot map.
const UPSTREAM_ERRORS =
  /Document is password protected|Unsupported file type|Page limit exceeded|could not be read|not supported by this job type/;

interface JobJson {
  job: { status: string | null; total_items: number | null; tracking: { state: string } };
}

/** Ticks until the tracked job's tracking state is `state`. */
async function tickUntil(jobId: string, state: string) {
  await eventually(async () => {
    await tickWhenDue();
    const { job } = (await (await api(`/api/jobs/${jobId}`)).json()) as JobJson;
    return job.tracking.state === state ? job : undefined;
  }, 90_000);
}

async function trackBatch(jobId: string, label: string) {
  const res = await api("/api/jobs", { method: "POST", json: { job_id: jobId, label } });
  expect(res.status, await res.clone().text()).toBe(201);
}

beforeAll(async () => {
  // 70 files, 35 mapped a step: 6 parse jobs fail and 2 files cannot be mapped; more files than one
  // page of the Files section shows.
  await sim().createBatch({
    id: BATCH,
    mode: "manual",
    job_type: "parse_v2",
    total_files: 70,
    files_per_step: 35,
    failed_children: 6,
    unmappable_files: 2,
    child_steps: 1,
  });
  await trackBatch(BATCH, "Scanned contracts");
  for (let step = 0; step < 2; step++) {
    await sim().advanceBatch(BATCH);
    await tickWhenDue();
  }
}, 120_000);

describe("while the batch runs", () => {
  it("the dashboard shows it like a v1 job: type, status, progress bar and counts", async () => {
    const { page, problems, cspViolations } = await open("desktop");
    await page.goto(`${stack().url}/`);
    const row = page.locator("tbody tr", { hasText: "Scanned contracts" });
    await expect(row.locator(".job-id").textContent()).resolves.toBe(`${BATCH} · parse_v2`);
    await expect(row.locator(".badge").textContent()).resolves.toBe("running");
    expect(await row.locator("progress").count()).toBe(1);
    // Still mapping: the total is the files mapped so far, as the API says.
    const { job } = (await (await api(`/api/jobs/${BATCH}`)).json()) as JobJson;
    expect(job.total_items).toBeGreaterThan(0);
    expect(job.total_items).toBeLessThan(70);
    await expect(row.locator('td[data-label="Total"]').textContent()).resolves.toBe(String(job.total_items));
    await shoot(page, SHOTS, "dashboard-v2-running-desktop");
    expect(await cspViolations()).toEqual([]);
    expect(problems).toEqual([]);
  });
});

describe("once the batch has finished", () => {
  beforeAll(async () => {
    await sim().advanceBatch(BATCH, { to: "end" });
    await tickUntil(BATCH, "finished");
  }, 120_000);

  describe.each(["desktop", "phone"] as Viewport[])("at %s width", (kind) => {
    it("the job page lists the failed files first, with their errors, then pages through the others", async () => {
      const { page, problems, cspViolations } = await open(kind);
      await page.goto(`${stack().url}/`);
      await page.getByRole("link", { name: "Scanned contracts", exact: true }).click();
      await page.waitForURL(new RegExp(`/jobs/${BATCH}$`));
      await expect(page.locator(".headline .badge").textContent()).resolves.toBe("completed");

      const files = page.locator("section#files");
      await files.scrollIntoViewIfNeeded();
      await expect(files.getByRole("heading", { name: "Files" }).isVisible()).resolves.toBe(true);
      await expect(files.locator(".files-summary").textContent()).resolves.toBe(
        "70 files: 8 failed · 62 completed.",
      );
      const failed = files.locator("table.files").first();
      await expect(failed.locator("caption").textContent()).resolves.toBe("Failed (8)");
      const errors = await failed.locator("td.error").allTextContents();
      expect(errors).toHaveLength(8);
      for (const error of errors) expect(error).toMatch(UPSTREAM_ERRORS);
      // Parse jobs carry their file's name; the two unmapped files have no job.
      expect(await failed.locator("td", { hasText: "none" }).count()).toBe(2);
      await expect(failed.locator("td.error").first().isVisible()).resolves.toBe(true);
      const others = files.locator("table.files").nth(1);
      expect(await others.locator("tbody tr").count()).toBe(42);
      await noHorizontalScroll(page);
      await shoot(page, SHOTS, `job-v2-${kind}`);
      await files.screenshot({ path: path.join(SHOTS, `job-v2-files-${kind}.png`) });

      // The next page is a plain link: no script runs on these pages.
      await files.getByRole("link", { name: "More files →" }).click();
      await page.waitForURL(/\?files=o\.[\w-]+#files$/);
      await expect(files.locator("caption").allTextContents()).resolves.toEqual(["Other files, continued"]);
      expect(await files.locator("tbody tr").count()).toBe(20);
      expect(await files.getByRole("link", { name: "More files →" }).count()).toBe(0);
      await shoot(page, SHOTS, `job-v2-files-page-2-${kind}`);
      await files.getByRole("link", { name: "← First files" }).click();
      await expect(files.locator("caption").first().textContent()).resolves.toBe("Failed (8)");

      expect(await cspViolations()).toEqual([]);
      expect(problems).toEqual([]);
    });
  });

  it("the items API lists the same failed files", async () => {
    const res = await api(`/api/jobs/${BATCH}/items?status=failed&limit=200`);
    expect(res.status).toBe(200);
    const { items } = (await res.json()) as { items: { error_message: string | null }[] };
    expect(items).toHaveLength(8);
    for (const item of items) expect(item.error_message).toMatch(UPSTREAM_ERRORS);
  });
});

describe("a batch of 1,000 files", () => {
  it("is polled through child pages of 100 and its job page stays small", async () => {
    await sim().createBatch({
      id: LARGE,
      mode: "manual",
      job_type: "parse_v2",
      total_files: 1000,
      files_per_step: 1000,
      failed_children: 40,
      unmappable_files: 10,
      child_steps: 1,
    });
    await trackBatch(LARGE, "A thousand files");
    await sim().advanceBatch(LARGE, { to: "end" });
    await tickUntil(LARGE, "finished");
    const res = await api(`/jobs/${LARGE}`);
    expect(res.status).toBe(200);
    const bytes = (await res.arrayBuffer()).byteLength;
    console.log(`job page of a 1,000-file v2 batch under wrangler dev: ${bytes} bytes`);
    expect(bytes).toBeLessThan(100_000);

    const { page, problems } = await open("desktop");
    await page.goto(`${stack().url}/jobs/${LARGE}#files`);
    await expect(page.locator("#files .files-summary").textContent()).resolves.toBe(
      "1,000 files: 50 failed · 950 completed.",
    );
    await shoot(page, SHOTS, "job-v2-thousand-desktop");
    expect(problems).toEqual([]);
  });
});
