import { sql } from "drizzle-orm";
/**
 * A job with 100,000 snapshots: the chart stays within its point budget because SQL downsamples,
 * and the page stays small.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { jobHistory, MAX_STATUS_CHANGES, sampledHistory, statusChangesQuery } from "../../src/db/history";
import { MAX_CHART_POINTS } from "../../src/pages/chart";
import { insertJob } from "../helpers/d1";
import { MINUTE } from "../helpers/time";
import { db, get, insertSnapshots, seedLongHistory, select } from "./helpers";

const COUNT = 100_000;
const now = Date.now();
const t0 = now - COUNT * MINUTE;

beforeAll(async () => {
  await insertJob({
    jobId: "bjb-100k",
    label: "Archive backfill",
    status: "running",
    totalItems: COUNT * 3,
    processedItems: COUNT * 3 - 3000,
    failedItems: 1999,
    skippedItems: 999,
    progressPercentage: 99.9,
    lastPolledAt: now,
    lastSuccessAt: now,
  });
  await seedLongHistory("bjb-100k", COUNT, t0);
});

describe("a job with 100,000 snapshots", () => {
  it("has them all stored", async () => {
    const history = await jobHistory(db, "bjb-100k", {
      maxPoints: MAX_CHART_POINTS - 1,
      recent: 20,
      rateSince: now,
    });
    expect(history.snapshotCount).toBe(COUNT);
    expect(history.sampled).toBe(true);
    expect(history.chart.length).toBeLessThanOrEqual(MAX_CHART_POINTS - 1);
    expect(history.recent).toHaveLength(20);
    expect(history.statusChanges.map((s) => s.status)).toEqual(["pending", "running", "completed"]);
  });

  it("samples the history at evenly spaced instants, first and last snapshot included", async () => {
    const intervals = 250;
    const rows = await sampledHistory(db, "bjb-100k", intervals);
    expect(rows.length).toBeLessThanOrEqual(intervals + 1);
    expect(rows.length).toBeGreaterThan(intervals * 0.9);
    expect(rows[0]?.observed_at).toBe(t0);
    expect(rows.at(-1)?.observed_at).toBe(t0 + (COUNT - 1) * MINUTE);
    const step = ((COUNT - 1) * MINUTE) / intervals;
    for (let i = 1; i < rows.length; i++) {
      const gap = (rows[i]?.observed_at ?? 0) - (rows[i - 1]?.observed_at ?? 0);
      expect(gap).toBeGreaterThan(0);
      expect(gap).toBeLessThanOrEqual(step + MINUTE);
    }
  });

  it("renders a page under 200 KB whose chart draws at most 500 points per series", async () => {
    const started = performance.now();
    const res = await get("/jobs/bjb-100k");
    const html = await res.text();
    const ms = performance.now() - started;
    const bytes = new TextEncoder().encode(html).length;
    console.log(
      `job page at ${COUNT} snapshots: ${bytes} bytes in ${ms.toFixed(0)} ms (figures, not asserted)`,
    );
    expect(res.status).toBe(200);
    expect(bytes).toBeLessThan(200 * 1024);
    const lines = await select(html, "svg polyline");
    expect(lines).toHaveLength(4);
    for (const line of lines) {
      const points = line.attrs.points?.split(" ") ?? [];
      expect(points.length).toBeGreaterThan(400);
      expect(points.length).toBeLessThanOrEqual(MAX_CHART_POINTS);
    }
    expect(html).toContain("100,000 snapshots");
    expect((await select(html, "ol.timeline li .badge")).map((b) => b.text)).toEqual([
      "pending",
      "running",
      "completed",
    ]);
    expect((await select(html, "table tbody tr")).length).toBe(20);
  });
});

describe("uneven and flapping histories", () => {
  it("keeps the bound when most snapshots arrive in a burst", async () => {
    const start = now - 10 * 24 * 60 * MINUTE;
    await seedLongHistory("bjb-burst", 5_000, start, 10);
    await seedLongHistory("bjb-burst", 2_000, start + 60 * MINUTE, 7 * MINUTE);
    const history = await jobHistory(db, "bjb-burst", { maxPoints: 499, recent: 5, rateSince: now });
    expect(history.snapshotCount).toBe(7_000);
    expect(history.chart.length).toBeLessThanOrEqual(499);
    const times = history.chart.map((r) => r.observedAt);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it("follows at most MAX_STATUS_CHANGES status changes of a job that flaps", async () => {
    await insertSnapshots(
      "bjb-flap",
      Array.from({ length: MAX_STATUS_CHANGES + 50 }, (_, i) => ({
        observedAt: now - (300 - i) * MINUTE,
        status: i % 2 ? "running" : "dispatched",
      })),
    );
    const changes = await statusChangesQuery(db, "bjb-flap");
    expect(changes).toHaveLength(MAX_STATUS_CHANGES + 1);
    expect(changes.slice(0, 3).map((c) => c.status)).toEqual(["dispatched", "running", "dispatched"]);

    await insertJob({ jobId: "bjb-flap" });
    const html = await (await get("/jobs/bjb-flap")).text();
    expect(html).toContain("changed status very often");
    // One change more than shown is read, so every shown status has a known end and none is current.
    expect(await select(html, "ol.timeline li")).toHaveLength(MAX_STATUS_CHANGES);
    expect(await select(html, "ol.timeline li.current")).toEqual([]);
  });

  it("shows every status of a job with exactly MAX_STATUS_CHANGES changes after a pruned start", async () => {
    await insertSnapshots("bjb-edge", [
      { observedAt: now - 400 * MINUTE, status: "pending" },
      ...Array.from({ length: MAX_STATUS_CHANGES }, (_, i) => ({
        observedAt: now - (300 - i) * MINUTE,
        status: i % 2 ? "running" : "dispatched",
      })),
    ]);
    // Its first change was pruned: the oldest surviving snapshot is not marked as one.
    await db.run(
      sql`update snapshots set status_changed = 0 where job_id = 'bjb-edge' and status = 'pending'`,
    );
    await insertJob({ jobId: "bjb-edge" });
    const html = await (await get("/jobs/bjb-edge")).text();
    expect(html).not.toContain("changed status very often");
    expect(await select(html, "ol.timeline li")).toHaveLength(MAX_STATUS_CHANGES + 1);
    expect(await select(html, "ol.timeline li.current")).toHaveLength(1);
  });

  it("starts the timeline at the oldest surviving snapshot once retention pruned the first change", async () => {
    await insertSnapshots("bjb-pruned", [
      { observedAt: now - 30 * MINUTE, status: "running", processedItems: 10 },
      { observedAt: now - 20 * MINUTE, status: "running", processedItems: 20 },
      { observedAt: now - 10 * MINUTE, status: "completed", processedItems: 30 },
    ]);
    // As if the snapshots before these (pending → running) had been pruned: the oldest is no longer a change.
    await db.run(
      sql`update snapshots set status_changed = 0 where job_id = 'bjb-pruned' and status = 'running'`,
    );
    await insertJob({ jobId: "bjb-pruned", state: "finished", status: "completed" });
    const history = await jobHistory(db, "bjb-pruned", { maxPoints: 499, recent: 20, rateSince: now });
    expect(history.statusChanges.map((c) => c.status)).toEqual(["running", "completed"]);
    const html = await (await get("/jobs/bjb-pruned")).text();
    expect(await select(html, "ol.timeline li")).toHaveLength(2);
  });
});
