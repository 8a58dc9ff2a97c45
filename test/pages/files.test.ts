// The job page's Files section through the real app and a real local D1: failed files first with
// their errors, a count summary, plain-link pages without gaps or duplicates, escaping, what a v1
// job and an unmapped batch say, bad positions, the page's D1 round trips and size, the plan of
// each query, and the dashboard's view of v2 batches.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { database, type Statement } from "../../src/db/client";
import { filesPage, filesStatements } from "../../src/db/item-lists";
import type { ItemRow } from "../../src/db/schema";
import { FILES_PER_PAGE } from "../../src/pages/job-files";
import { insertItems, insertJob } from "../helpers/d1";
import { meterD1 } from "../helpers/d1-meter";
import { queryPlan } from "../helpers/query-plans";
import { baseEnv, get, page, select } from "./helpers";

const T0 = Date.parse("2026-11-28T12:00:00.000Z");
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

/**
 * The file ids of a Files page, in the order shown, and its "More files" link. A file's cell holds
 * its name and then its id, or only its id when it has no name.
 */
async function filesOf(html: string) {
  const parts = await select(html, "#files tbody td.file-cell > *");
  const ids: string[] = [];
  parts.forEach((part, i) => {
    if (part.attrs.class !== "file-name") return;
    const next = parts[i + 1];
    ids.push(next?.attrs.class === "file-id" ? next.text : part.text);
  });
  const more = (await select(html, "#files nav a")).find((a) => a.text.startsWith("More files"));
  return { ids, more: more?.attrs.href ?? null };
}

describe("a v2 batch's files", () => {
  it("lists failed files first with their errors, then the others, under a count summary", async () => {
    await insertJob({ jobId: "bat-mix", api: "v2", jobType: "parse_v2", status: "running", totalItems: 5 });
    await insertItems("bat-mix", [
      { itemId: "f-done", name: "done.pdf", status: "completed", updatedAt: at(50) },
      { itemId: "f-bad", name: "bad.pdf", status: "failed", errorMessage: "Corrupt PDF", updatedAt: at(10) },
      { itemId: "f-run", name: "run.pdf", status: "running", updatedAt: at(40) },
      {
        itemId: "f-unmapped",
        name: null,
        status: "failed",
        errorMessage: "Unsupported file type: .exe",
        childJobId: null,
        childType: null,
        updatedAt: at(5),
      },
      { itemId: "f-done2", name: "done2.pdf", status: "completed", updatedAt: at(60) },
    ]);
    const html = await page("/jobs/bat-mix");
    const captions = (await select(html, "#files caption")).map((c) => c.text);
    expect(captions).toEqual(["Failed (2)", "Other files"]);
    const [failed, others] = await select(html, "#files table.files");
    expect(failed?.text).toContain("Corrupt PDF");
    expect(failed?.text).toContain("Unsupported file type: .exe");
    const rows = (await select(html, "#files tbody tr")).map((r) => r.text);
    expect(rows[0]).toContain("bad.pdf");
    // A file that could not be mapped has no name and no job: its id and "none" stand in.
    expect(rows[1]).toContain("f-unmapped");
    expect(rows[1]).toContain("none");
    expect(rows.slice(2).map((r) => r.match(/\w+\d?\.pdf/)?.[0])).toEqual([
      "done2.pdf",
      "done.pdf",
      "run.pdf",
    ]);
    expect(others?.text).not.toContain("Error");
    expect((await select(html, ".files-summary"))[0]?.text).toBe(
      "5 files: 2 failed · 2 completed · 1 running.",
    );
    // Nothing to page through.
    expect(await select(html, "#files nav")).toEqual([]);
  });

  it("says so while the batch has not listed its files", async () => {
    await insertJob({ jobId: "bat-empty", api: "v2", status: "pending", totalItems: null });
    const html = await page("/jobs/bat-empty");
    expect((await select(html, "#files"))[0]?.text).toContain(
      "LlamaCloud has not listed this batch's files yet.",
    );
    expect(await select(html, "#files table")).toEqual([]);
  });

  it("keeps every upstream string inert", async () => {
    await insertJob({ jobId: "bat-evil", api: "v2" });
    await insertItems("bat-evil", [
      {
        itemId: `"><img src=x onerror=alert(1)>`,
        name: "<script>alert('name')</script>",
        status: "<b>odd</b>",
        errorMessage: `<iframe src="//evil"></iframe>`,
        childJobId: "<svg onload=alert(2)>",
      },
      { itemId: "f2", status: "failed", errorMessage: "<u>under</u>" },
    ]);
    const html = await page("/jobs/bat-evil");
    for (const tag of ["<script", "<img", "<b>", "<iframe", "<svg", "<u>"]) expect(html).not.toContain(tag);
    expect(
      await select(html, "#files script, #files img, #files iframe, #files b, #files svg, #files u"),
    ).toEqual([]);
    const text = (await select(html, "#files"))[0]?.text ?? "";
    expect(text).toContain("<script>alert('name')</script>");
    expect(text).toContain(`<iframe src="//evil"></iframe>`);
    expect(text).toContain("<b>odd</b>");
  });
});

describe("pages of files", () => {
  // 120 files, 30 of them failed; some share a time, so pages must break ties by id.
  const files = Array.from({ length: 120 }, (_, i) => ({
    itemId: `p-${String(i).padStart(3, "0")}`,
    name: `file-${i}.pdf`,
    status: i % 4 === 0 ? "failed" : "completed",
    errorMessage: i % 4 === 0 ? `Timed out on file ${i}` : null,
    updatedAt: at(Math.floor(i / 3)),
  }));

  it("walks every file once, failed ones first, newest first within each, through plain links", async () => {
    await insertJob({
      jobId: "bat-pages",
      api: "v2",
      totalItems: 120,
      state: "finished",
      status: "completed",
    });
    await insertItems("bat-pages", files);
    const seen: string[] = [];
    let href: string | null = "/jobs/bat-pages";
    const sizes: number[] = [];
    while (href && sizes.length < 10) {
      const got = await filesOf(await page(href));
      seen.push(...got.ids);
      sizes.push(got.ids.length);
      if (got.more) expect(got.more).toMatch(/^\/jobs\/bat-pages\?files=[fo](\.[\w-]+)?#files$/);
      href = got.more;
    }
    expect(sizes).toEqual([50, 50, 20]);
    const newestFirst = (rows: typeof files) => rows.map((f) => f.itemId).reverse();
    expect(seen).toEqual([
      ...newestFirst(files.filter((f) => f.status === "failed")),
      ...newestFirst(files.filter((f) => f.status !== "failed")),
    ]);
  });

  it("continues among the failed files, then starts the others on a page of their own", async () => {
    await insertJob({ jobId: "bat-fifty", api: "v2" });
    await insertItems("bat-fifty", [
      ...Array.from({ length: FILES_PER_PAGE + 1 }, (_, i) => ({
        itemId: `x-${String(i).padStart(3, "0")}`,
        status: "failed",
        errorMessage: "no",
        updatedAt: at(i),
      })),
      { itemId: "y-ok", status: "completed", updatedAt: at(999) },
    ]);
    const first = await page("/jobs/bat-fifty");
    const one = await filesOf(first);
    expect(one.ids).toHaveLength(FILES_PER_PAGE);
    expect(one.more).toMatch(/\?files=f\./);
    const second = await page(one.more ?? "");
    expect((await select(second, "#files caption")).map((c) => c.text)).toEqual([
      `Failed (${FILES_PER_PAGE + 1}), continued`,
      "Other files",
    ]);
    const two = await filesOf(second);
    expect(two.ids).toEqual(["x-000", "y-ok"]);
    expect(two.more).toBeNull();
    const back = (await select(second, "#files nav a")).find((a) => a.text.includes("First files"));
    expect(back?.attrs.href).toBe("/jobs/bat-fifty#files");
  });

  it("answers a position it never handed out with a 400 page, not a 500", async () => {
    await insertJob({ jobId: "bat-badpos", api: "v2" });
    for (const files of ["x", "f.not-a-cursor", "o.", `f.${btoa(JSON.stringify({ t: 1, id: 2 }))}`, "f..."]) {
      const res = await get(`/jobs/bat-badpos?files=${encodeURIComponent(files)}`);
      expect(res.status, files).toBe(400);
      expect(res.headers.get("content-type")).toMatch(/^text\/html/);
      expect(await res.text()).toContain("not");
    }
  });
});

describe("a v1 job's failed items", () => {
  it("says there are none, or that none have been read yet", async () => {
    await insertJob({ jobId: "bjb-clean", failedItems: 0 });
    await insertJob({ jobId: "bjb-unread", failedItems: 3 });
    expect((await select(await page("/jobs/bjb-clean"), "#files"))[0]?.text).toContain("No failed items");
    expect((await select(await page("/jobs/bjb-unread"), "#files"))[0]?.text).toContain(
      "LlamaCloud reports 3 failed items; batchwatch has not read them yet.",
    );
  });

  it("lists the failed items batchwatch read, and how many of those reported", async () => {
    await insertJob({ jobId: "bjb-read", failedItems: 4 });
    await insertItems("bjb-read", [
      {
        itemId: "it-1",
        name: "a.docx",
        status: "failed",
        errorMessage: "Password protected",
        childJobId: null,
      },
      { itemId: "it-2", name: "b.docx", status: "failed", errorMessage: "Empty file", childJobId: null },
    ]);
    const html = await page("/jobs/bjb-read");
    expect((await select(html, ".files-summary"))[0]?.text).toBe(
      "2 failed items read from LlamaCloud, of the 4 it reports.",
    );
    // Every row is failed and none has a child job: neither column would say anything.
    const headers = (await select(html, "#files th")).map((h) => h.text);
    expect(headers).toEqual(["File", "Error", "Updated"]);
    expect((await select(html, "#files table.files"))[0]?.text).toContain("Password protected");
  });
});

describe("cost", () => {
  it("reads the job and its files in one D1 round trip, its history in one more", async () => {
    await insertJob({ jobId: "bat-trips", api: "v2" });
    await insertItems(
      "bat-trips",
      Array.from({ length: 80 }, (_, i) => ({ itemId: `t-${i}`, status: i % 5 ? "completed" : "failed" })),
    );
    const counting = meterD1(env.DB);
    const res = await get("/jobs/bat-trips", { env: { ...baseEnv, DB: counting.db } });
    expect(res.status).toBe(200);
    expect((await filesOf(await res.text())).ids).toHaveLength(FILES_PER_PAGE);
    expect(counting.trips()).toBe(2);
  });

  it("keeps a 1,000-file batch's page small", async () => {
    await insertJob({ jobId: "bat-1000", api: "v2", totalItems: 1000, processedItems: 900, failedItems: 60 });
    await insertItems(
      "bat-1000",
      Array.from({ length: 1000 }, (_, i) => ({
        itemId: `dfl-${crypto.randomUUID()}`,
        name: `customer-upload-${i}-scanned-invoice.pdf`,
        status: i % 16 === 0 ? "failed" : i % 10 === 0 ? "running" : "completed",
        errorMessage:
          i % 16 === 0 ? "Parsing failed: the document has no extractable text layer (page 3)" : null,
        childJobId: `pjb-${crypto.randomUUID()}`,
        updatedAt: at(i),
      })),
    );
    const html = await page("/jobs/bat-1000");
    const bytes = new TextEncoder().encode(html).length;
    console.log(`job page of a 1,000-file batch: ${bytes} bytes`);
    expect((await filesOf(html)).ids).toHaveLength(FILES_PER_PAGE);
    expect(bytes).toBeLessThan(100_000);
  });
});

describe("the Files queries use an index", () => {
  const db = database(env.DB);

  it.each([
    ["the first page", { part: "failed" as const }],
    ["a later page among the failed", { part: "failed" as const, after: { time: T0, id: "p-001" } }],
    ["a later page among the others", { part: "others" as const, after: { time: T0, id: "p-001" } }],
  ])("%s", async (_, from) => {
    const [counts, failed, others] = filesStatements(db, "bat-pages", FILES_PER_PAGE, from);
    const expected: [Statement, string][] = [
      [counts, "COVERING INDEX items_status_list_idx (job_id=?)"],
      [failed, "INDEX items_status_list_idx (job_id=? AND status=?"],
      [others, "INDEX items_list_idx (job_id=?"],
    ];
    for (const [statement, index] of expected) {
      const details = await queryPlan(statement);
      expect(details.join("\n")).toContain(index);
      expect(
        details.filter((d) => /^SCAN items|TEMP B-TREE/.test(d)),
        details.join("\n"),
      ).toEqual([]);
    }
  });
});

describe("filesPage (the seam between the failed files and the others)", () => {
  const row = (id: string, status = "completed"): ItemRow => ({
    jobId: "j",
    itemId: id,
    name: null,
    status,
    errorMessage: null,
    childJobId: null,
    childType: null,
    updatedAt: null,
    sortAt: 1,
    settled: false,
  });
  const rows = (prefix: string, n: number, status?: string) =>
    Array.from({ length: n }, (_, i) => row(`${prefix}${i}`, status));

  it("fills a page of few failed files with the others", () => {
    const page = filesPage({ failed: rows("f", 2, "failed"), others: rows("o", 4) }, 3, "failed");
    expect(page.failed.map((r) => r.itemId)).toEqual(["f0", "f1"]);
    expect(page.others.map((r) => r.itemId)).toEqual(["o0"]);
    expect(page.next).toEqual({ part: "others", after: { time: 1, id: "o0" } });
  });

  it("continues among the failed files while more remain", () => {
    const page = filesPage({ failed: rows("f", 4, "failed"), others: rows("o", 4) }, 3, "failed");
    expect(page.others).toEqual([]);
    expect(page.next).toEqual({ part: "failed", after: { time: 1, id: "f2" } });
  });

  it("starts the others from their beginning when the failed files fill the page exactly", () => {
    const page = filesPage({ failed: rows("f", 3, "failed"), others: rows("o", 1) }, 3, "failed");
    expect(page.next).toEqual({ part: "others", after: undefined });
  });

  it("ends when nothing is left", () => {
    expect(filesPage({ failed: rows("f", 1, "failed"), others: rows("o", 2) }, 3, "failed").next).toBeNull();
    expect(filesPage({ failed: [], others: rows("o", 3) }, 3, "others").next).toBeNull();
    expect(filesPage({ failed: [], others: rows("o", 4) }, 3, "others").next).toEqual({
      part: "others",
      after: { time: 1, id: "o2" },
    });
  });
});

describe("the dashboard", () => {
  it("shows a v2 batch like a v1 job: its type, status, counts and progress bar", async () => {
    await insertJob({
      jobId: "bat-dash",
      api: "v2",
      label: "Scanned contracts",
      jobType: "extract_v2",
      status: "throttled",
      totalItems: 30,
      processedItems: 12,
      failedItems: 3,
      skippedItems: 0,
      progressPercentage: 50,
    });
    const html = await page("/?limit=200");
    const row = (await select(html, "tbody tr")).find((r) => r.text.includes("Scanned contracts"));
    expect(row?.text).toContain("bat-dash · extract_v2");
    expect(row?.text).toMatch(/throttled.*50%.*12.*3.*0.*30/s);
    const badge = (await select(html, "tbody .badge")).find((b) => b.text === "throttled");
    expect(badge?.attrs.class).toBe("badge tone-info");
    const option = (await select(html, "select[name=status] option")).map((o) => o.text);
    expect(option).toContain("throttled");
  });

  it("keeps estimating a v2 batch that is completed while its jobs run on", async () => {
    const now = Date.now();
    await insertJob({
      jobId: "bat-early",
      api: "v2",
      status: "completed",
      state: "active",
      totalItems: 100,
      processedItems: 20,
      failedItems: 0,
      skippedItems: 0,
      progressPercentage: 20,
      lastSuccessAt: now,
    });
    const html = await page("/jobs/bat-early");
    expect((await select(html, ".eta"))[0]?.text).not.toBe("No estimate.");
    expect(await select(html, 'meta[http-equiv="refresh"]')).toHaveLength(1);
    const badge = await get("/jobs/bat-early/badge.svg");
    expect(badge.headers.get("cache-control")).toContain("max-age=60");
  });
});
