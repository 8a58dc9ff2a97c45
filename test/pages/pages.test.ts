/**
 * The HTML pages through the real app and a real local D1: auth, headers, escaping, every status
 * and marker, refresh, filters and pagination, the job page's parts and the badge.
 */
import { describe, expect, it } from "vitest";
import { insertJob } from "../helpers/d1";
import { MINUTE } from "../helpers/time";
import { ADMIN_TOKEN, BASIC_READ, get, insertSnapshots, page, select } from "./helpers";

describe("before any job is tracked", () => {
  it("the dashboard says there are none and does not refresh", async () => {
    const html = await page("/");
    expect(html).toContain("No jobs are tracked yet");
    expect(await select(html, "meta[http-equiv]")).toEqual([]);
    expect(await select(html, "table")).toEqual([]);
  });
});

describe("auth", () => {
  it("asks a browser for a password: 401 with a Basic challenge and an HTML page", async () => {
    for (const path of ["/", "/jobs/bjb-any", "/jobs/bjb-any/badge.svg"]) {
      const res = await get(path, { headers: {} });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Basic realm="batchwatch"/);
      expect(res.headers.get("content-type")).toMatch(/^text\/html/);
      expect(await res.text()).toContain("<h1>Sign in</h1>");
    }
  });

  it("refuses a wrong password and accepts the read or admin token, by Basic or Bearer", async () => {
    expect((await get("/", { headers: { authorization: `Basic ${btoa("me:wrong")}` } })).status).toBe(401);
    expect((await get("/", { headers: BASIC_READ })).status).toBe(200);
    expect((await get("/", { headers: { authorization: `Basic ${btoa(`:${ADMIN_TOKEN}`)}` } })).status).toBe(
      200,
    );
    expect((await get("/", { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(200);
  });

  it("is open with PUBLIC_READ, and closed (503) when no token is configured", async () => {
    expect((await get("/", { headers: {}, env: { PUBLIC_READ: "true" } })).status).toBe(200);
    const closed = await get("/", { headers: {}, env: { ADMIN_TOKEN: "", READ_TOKEN: "" } });
    expect(closed.status).toBe(503);
    expect(await closed.text()).toContain("Not configured");
  });
});

describe("headers", () => {
  it("serves HTML under a strict CSP whose nonce is the one on the page's only stylesheet", async () => {
    await insertJob({ jobId: "bjb-headers" });
    for (const path of ["/", "/jobs/bjb-headers", "/jobs/bjb-nope"]) {
      const res = await get(path);
      const html = await res.text();
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain("unsafe-inline");
      const nonce = /style-src 'nonce-([^']+)'/.exec(csp)?.[1];
      expect(nonce).toBeTruthy();
      const styles = await select(html, "style");
      expect(styles.map((s) => s.attrs.nonce)).toEqual([nonce]);
      // Nothing that a strict CSP would block, so the page looks the same under it.
      expect(await select(html, "script")).toEqual([]);
      expect(await select(html, "[style]")).toEqual([]);
      expect(html.startsWith("<!doctype html>")).toBe(true);
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    }
  });

  it("leaves the JSON API as it was", async () => {
    const res = await get("/api/jobs", { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("cross-origin-resource-policy")).toBe("same-origin");
    expect(((await res.json()) as { jobs: unknown[] }).jobs.length).toBeGreaterThan(0);
    const unauthorized = await get("/api/jobs", { headers: {} });
    expect(unauthorized.status).toBe(401);
    expect(await unauthorized.json()).toMatchObject({ error: { code: "unauthorized" } });
  });
});

describe("escaping", () => {
  const evil = {
    jobId: `bjb-"><img src=x onerror=alert(1)>`,
    label: `<script>alert("label")</script>`,
    status: "<b>odd</b>",
    jobType: "<i>type</i>",
    errorMessage: `<img src=x onerror=alert("upstream")>`,
    lastErrorCode: "server",
    lastErrorMessage: "<iframe src=//evil></iframe>",
    consecutiveFailures: 2,
    upstreamJob: JSON.stringify({ note: "<script>bad()</script>", directory_id: "<svg onload=alert(1)>" }),
  };

  it("keeps everything from upstream and users inert on every page and the badge", async () => {
    await insertJob(evil);
    await insertSnapshots(evil.jobId, [
      { observedAt: Date.now() - 5 * MINUTE, status: "<u>snap</u>", errorMessage: "<script>snap()</script>" },
    ]);
    const path = `/jobs/${encodeURIComponent(evil.jobId)}`;
    for (const p of ["/", path, `${path}/badge.svg`]) {
      const body = await page(p);
      for (const tag of ["<script", "<img", "<b>", "<i>", "<iframe", "<u>", "<svg onload"]) {
        expect(body, `${p} contains ${tag}`).not.toContain(tag);
      }
      expect(await select(body, "script, img, iframe, b, i, u")).toEqual([]);
    }
    const job = await page(path);
    expect((await select(job, "h1"))[0]?.text).toBe(evil.label);
    expect(job).toContain("&lt;script&gt;bad()&lt;/script&gt;");
    expect(job).toContain("&lt;iframe src=//evil&gt;&lt;/iframe&gt;");
    const dashboard = await page("/");
    const link = (await select(dashboard, "a.job-link")).find((a) => a.text === evil.label);
    expect(link?.attrs.href).toBe(path);
  });
});

describe("statuses and markers", () => {
  const statuses = [
    "pending",
    "dispatched",
    "running",
    "completed",
    "failed",
    "cancelled",
    "paused_for_review",
    null,
  ];

  it("shows every status, including unknown future ones and not-yet-polled jobs", async () => {
    for (const status of statuses) {
      await insertJob({
        jobId: `bjb-status-${status ?? "none"}`,
        status,
        state: status && ["completed", "failed", "cancelled"].includes(status) ? "finished" : "active",
      });
    }
    const html = await page("/?limit=200");
    const badges = (await select(html, "td .badge")).map((b) => `${b.text} ${b.attrs.class}`);
    expect(badges).toEqual(
      expect.arrayContaining([
        "pending badge tone-info",
        "dispatched badge tone-info",
        "running badge tone-active",
        "completed badge tone-good",
        "failed badge tone-bad",
        "cancelled badge tone-muted",
        "paused_for_review badge tone-neutral",
        "not polled yet badge tone-neutral",
      ]),
    );
    for (const status of statuses) {
      const res = await get(`/jobs/bjb-status-${status ?? "none"}`);
      expect(res.status).toBe(200);
      const badge = await page(`/jobs/bjb-status-${status ?? "none"}/badge.svg`);
      expect(badge).toContain(status ?? "not polled");
    }
  });

  it("marks stalled, failing, lost and upstream-error jobs", async () => {
    const now = Date.now();
    await insertJob({ jobId: "bjb-m-stalled", stalledSince: now - 45 * MINUTE });
    await insertJob({
      jobId: "bjb-m-failing",
      consecutiveFailures: 6,
      lastErrorCode: "timeout",
      lastErrorMessage: "timed out",
    });
    await insertJob({
      jobId: "bjb-m-lost",
      state: "lost",
      consecutiveFailures: 3,
      lastErrorCode: "not_found",
    });
    await insertJob({ jobId: "bjb-m-error", status: "failed", state: "finished", errorMessage: "Bad PDF" });
    const html = await page("/?limit=200");
    const kinds = new Set((await select(html, ".marker")).map((m) => m.attrs.class));
    expect(kinds).toEqual(
      new Set([
        "marker marker-stalled",
        "marker marker-failing",
        "marker marker-lost",
        "marker marker-error",
      ]),
    );
    const rows = await select(html, "tbody tr");
    const rowOf = (id: string) => rows.find((r) => r.text.includes(id))?.text ?? "";
    expect(rowOf("bjb-m-stalled")).toContain("stalled");
    expect(rowOf("bjb-m-failing")).toContain("6 failed polls");
    expect(rowOf("bjb-m-lost")).toContain("lost");
    expect(rowOf("bjb-m-lost")).not.toContain("failed poll");
    expect(rowOf("bjb-m-error")).toContain("LlamaCloud reports: Bad PDF");

    const lost = await page("/jobs/bjb-m-lost");
    expect(lost).toContain("Polling stopped");
    const failing = await page("/jobs/bjb-m-failing");
    expect(failing).toContain("timed out");
    const error = await page("/jobs/bjb-m-error");
    expect((await select(error, ".notice.bad"))[0]?.text).toContain("Bad PDF");
  });
});

describe("refresh", () => {
  it("refreshes a page only while a job on it is active", async () => {
    await insertJob({ jobId: "bjb-r-done", status: "completed", state: "finished" });
    await insertJob({ jobId: "bjb-r-live", status: "running", state: "active" });
    const refresh = async (path: string) =>
      (await select(await page(path), 'meta[http-equiv="refresh"]')).length;
    expect(await refresh("/jobs/bjb-r-live")).toBe(1);
    expect(await refresh("/jobs/bjb-r-done")).toBe(0);
    expect(await refresh("/")).toBe(1);
    expect(await refresh("/?state=finished")).toBe(0);
  });
});

describe("filters and pagination", () => {
  it("filters by status and by tracking state", async () => {
    const failed = await page("/?status=failed&limit=200");
    const statuses = (await select(failed, "td .badge")).map((b) => b.text);
    expect(statuses.length).toBeGreaterThan(0);
    expect(new Set(statuses)).toEqual(new Set(["failed"]));
    expect((await select(failed, 'select[name="status"] option[selected]'))[0]?.text).toBe("failed");

    const lost = await page("/?state=lost");
    expect((await select(lost, "a.job-link")).map((a) => a.text)).toEqual(["bjb-m-lost"]);

    const none = await page("/?status=no_such_status");
    expect(none).toContain("No job matches these filters");
    // An unknown status stays selectable so the form shows what is filtered.
    expect((await select(none, 'select[name="status"] option[selected]'))[0]?.text).toBe("no_such_status");
    expect((await page("/?status=&state=")).includes("Tracked jobs")).toBe(true);
  });

  it("pages newest first with a cursor, like the API, keeping the filters", async () => {
    const all = (await select(await page("/?limit=200"), "a.job-link")).map((a) => a.attrs.href);
    const seen: (string | undefined)[] = [];
    let next: string | undefined = "/?limit=3";
    let pages = 0;
    while (next) {
      const html = await page(next);
      seen.push(...(await select(html, "a.job-link")).map((a) => a.attrs.href));
      const older = (await select(html, ".pager a")).find((a) => a.text.startsWith("Older"));
      next = older?.attrs.href?.replaceAll("&amp;", "&");
      if (next) expect(next).toContain("limit=3");
      pages++;
    }
    expect(pages).toBe(Math.ceil(all.length / 3));
    expect(seen).toEqual(all);
    const dashboard = await page("/?limit=200");
    const ids = (await select(dashboard, "a.job-link")).map((a) => a.attrs.href);
    expect(ids[0]).toBe(all[0]);
  });

  it("answers bad filters and cursors with an HTML 400", async () => {
    for (const query of ["?state=sleeping", "?limit=0", "?limit=500", "?cursor=not-a-cursor"]) {
      const res = await get(`/${query}`);
      expect(res.status, query).toBe(400);
      expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    }
  });
});

describe("the job page", () => {
  it("is a proper 404 page for an unknown job", async () => {
    const res = await get("/jobs/bjb-never-tracked");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await res.text();
    expect((await select(html, "h1"))[0]?.text).toBe("Job not found");
    expect(html).toContain("bjb-never-tracked");
  });

  it("shows progress, chart, timeline, ETA, recent snapshots and tracking health", async () => {
    const now = Date.now();
    await insertJob({
      jobId: "bjb-full",
      label: "Quarterly invoices",
      totalItems: 1000,
      processedItems: 380,
      failedItems: 10,
      skippedItems: 10,
      progressPercentage: 40,
      lastPolledAt: now - MINUTE,
      lastSuccessAt: now - MINUTE,
      consecutiveFailures: 0,
      upstreamJob: JSON.stringify({ directory_id: "dir-1", brand_new_field: { nested: true } }),
    });
    // 60 snapshots a minute apart: pending, then 10 items/min.
    await insertSnapshots(
      "bjb-full",
      Array.from({ length: 60 }, (_, i) => ({
        observedAt: now - (61 - i) * MINUTE,
        status: i < 20 ? "pending" : "running",
        totalItems: 1000,
        processedItems: i < 20 ? 0 : (i - 20) * 10 - (i - 20),
        failedItems: i < 20 ? 0 : Math.floor((i - 20) / 2),
        skippedItems: i < 20 ? 0 : Math.ceil((i - 20) / 2),
      })),
    );
    const html = await page("/jobs/bjb-full");
    expect((await select(html, "h1"))[0]?.text).toBe("Quarterly invoices");
    expect((await select(html, "progress"))[0]?.attrs).toMatchObject({ max: "100", value: "40.0" });
    const counts = (await select(html, ".counts dd")).map((d) => d.text);
    expect(counts).toEqual(["380", "10", "10", "1,000"]);

    const lines = await select(html, "svg polyline");
    expect(lines.map((l) => l.attrs["data-series"])).toEqual(["processed", "failed", "skipped", "total"]);
    // 60 snapshots plus the current counts at the last poll.
    expect(lines[0]?.attrs.points?.split(" ")).toHaveLength(61);
    expect((await select(html, "svg text")).length).toBeGreaterThan(4);
    expect((await select(html, ".legend li")).map((l) => l.text.split(" ")[0])).toEqual([
      "Processed",
      "Failed",
      "Skipped",
      "Total",
    ]);

    const timeline = (await select(html, "ol.timeline li .badge")).map((b) => b.text);
    expect(timeline).toEqual(["pending", "running"]);
    expect((await select(html, ".eta"))[0]?.text).toMatch(/About \d+ (min|h)/);
    expect(await select(html, "h2")).toEqual(
      expect.arrayContaining([expect.objectContaining({ text: "Tracking health" })]),
    );
    expect((await select(html, "table tbody tr")).length).toBe(20);
    expect(html).toContain("brand_new_field");
    expect(html).toContain("dir-1");
  });

  it("says stalled when the recent rate is zero, and explains a job with no history", async () => {
    const now = Date.now();
    await insertJob({ jobId: "bjb-flat", lastPolledAt: now, lastSuccessAt: now });
    await insertSnapshots("bjb-flat", [
      {
        observedAt: now - 40 * MINUTE,
        status: "running",
        totalItems: 100,
        processedItems: 40,
        failedItems: 2,
        skippedItems: 1,
      },
    ]);
    expect((await select(await page("/jobs/bjb-flat"), ".eta"))[0]?.text).toContain("Stalled");

    await insertJob({
      jobId: "bjb-fresh",
      status: null,
      totalItems: null,
      processedItems: null,
      lastPolledAt: null,
    });
    const fresh = await page("/jobs/bjb-fresh");
    expect(fresh).toContain("No history yet");
    expect(fresh).toContain("No status seen yet");
    expect(fresh).toContain("No snapshots yet");
  });
});

describe("the badge", () => {
  it("is a cacheable SVG with a validator, embeddable from other sites only when public", async () => {
    await insertJob({ jobId: "bjb-badge", status: "running", progressPercentage: 42.4 });
    const res = await get("/jobs/bjb-badge/badge.svg");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/svg+xml; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("private, max-age=60");
    expect(res.headers.get("vary")).toBe("Authorization");
    expect(res.headers.get("cross-origin-resource-policy")).toBe("same-origin");
    const svg = await res.text();
    expect(svg).toContain("running 42%");
    expect(svg.startsWith("<svg")).toBe(true);
    const etag = res.headers.get("etag");
    expect(etag).toBeTruthy();
    const again = await get("/jobs/bjb-badge/badge.svg", {
      headers: { ...BASIC_READ, "if-none-match": etag ?? "" },
    });
    expect(again.status).toBe(304);

    const open = await get("/jobs/bjb-badge/badge.svg", { headers: {}, env: { PUBLIC_READ: "true" } });
    expect(open.headers.get("cache-control")).toBe("public, max-age=60");
    expect(open.headers.get("cross-origin-resource-policy")).toBe("cross-origin");
  });

  it("caches a finished job's badge longer and answers an unknown job with a 404 badge", async () => {
    await insertJob({
      jobId: "bjb-badge-done",
      status: "completed",
      state: "finished",
      progressPercentage: 100,
    });
    const done = await get("/jobs/bjb-badge-done/badge.svg");
    expect(done.headers.get("cache-control")).toBe("private, max-age=3600");
    const unknown = await get("/jobs/bjb-badge-unknown/badge.svg");
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain("not tracked");
  });
});
