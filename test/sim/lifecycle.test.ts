import { describe, expect, it } from "vitest";
import {
  advanceJob,
  CannotCancel,
  cancelJob,
  createJob,
  itemsPage,
  jobJson,
  patchJob,
  statusJson,
  syncJob,
} from "../../sim/jobs";
import { countsAfter, itemOutcome } from "../../sim/lifecycle";
import type { Plan } from "../../sim/model";

// The simulator's lifecycle arithmetic, without any HTTP: positions, counts, timestamps, items.

const T0 = Date.parse("2026-03-01T12:00:00.000Z");

function statusesWhileAdvancing(job: ReturnType<typeof createJob>, steps: number, at = T0): string[] {
  const seen = [jobJson(job).status];
  for (let i = 1; i <= steps; i++) {
    advanceJob(job, 1, at + i * 1000);
    seen.push(jobJson(job).status);
  }
  return seen;
}

describe("a manual job", () => {
  it("goes pending → dispatched → running → completed, one step at a time", () => {
    const job = createJob({ total_items: 3 }, T0);
    expect(statusesWhileAdvancing(job, 6)).toEqual([
      "pending",
      "dispatched",
      "running",
      "running",
      "running",
      "completed",
      "completed",
    ]);
    const answer = statusJson(job);
    expect(answer.progress_percentage).toBe(100);
    expect(answer.job).toMatchObject({
      processed_items: 3,
      failed_items: 0,
      skipped_items: 0,
      error_message: null,
    });
    expect(answer.job.completed_at).toBe(new Date(T0 + 5000).toISOString());
    expect(answer.job.started_at).toBe(new Date(T0 + 2000).toISOString());
  });

  it("counts failed and skipped items by their plan, skipping winning over failing", () => {
    const job = createJob({ total_items: 20, failed_every: 4, skipped_every: 6, items_per_step: 5 }, T0);
    advanceJob(job, 100, T0 + 1);
    // Items 4, 8, 16, 20 fail (12 is skipped); 6, 12, 18 are skipped.
    expect(jobJson(job)).toMatchObject({
      status: "completed",
      processed_items: 13,
      failed_items: 4,
      skipped_items: 3,
    });
  });

  it("has counts in closed form that agree with item-by-item outcomes", () => {
    for (const failedEvery of [0, 1, 2, 3, 7]) {
      for (const skippedEvery of [0, 1, 2, 5, 6]) {
        const plan = { failedEvery, skippedEvery } as Plan;
        const tally = { completed: 0, failed: 0, skipped: 0 };
        for (let finished = 0; finished <= 60; finished++) {
          expect(countsAfter(plan, finished)).toEqual({
            processed: tally.completed,
            failed: tally.failed,
            skipped: tally.skipped,
          });
          tally[itemOutcome(plan, finished)] += 1;
        }
      }
    }
  });

  it("fails part-way with its error message, leaving unfinished items cancelled", () => {
    const job = createJob({ total_items: 10, scenario: "fails", stop_at: 4, failure_message: "boom" }, T0);
    advanceJob(job, 100, T0 + 1);
    const answer = statusJson(job);
    expect(answer.job).toMatchObject({ status: "failed", error_message: "boom", processed_items: 4 });
    expect(answer.progress_percentage).toBe(40);
    expect(itemsPage(job, { status: "cancelled", limit: 50, offset: 0 }).total_size).toBe(6);
  });

  it("stalls while running: steps past the stall point change nothing", () => {
    const job = createJob({ total_items: 10, scenario: "stalls", stop_at: 3 }, T0);
    advanceJob(job, 100, T0 + 1);
    const stalled = jobJson(job);
    expect(stalled).toMatchObject({ status: "running", processed_items: 3 });
    expect(advanceJob(job, 5, T0 + 60_000)).toBeNull();
    expect(jobJson(job)).toEqual(stalled);
    // The items it was working on stay in processing forever.
    expect(itemsPage(job, { status: "processing", limit: 50, offset: 0 }).total_size).toBe(3);
  });

  it("moves updated_at forward on every change, even within one millisecond", () => {
    const job = createJob({ total_items: 5 }, T0);
    const seen = new Set([jobJson(job).updated_at]);
    for (let i = 0; i < 4; i++) {
      advanceJob(job, 1, T0);
      seen.add(jobJson(job).updated_at);
    }
    expect(seen.size).toBe(5);
  });

  it("reports what a step changed, statuses in order", () => {
    const job = createJob({ total_items: 2 }, T0);
    expect(advanceJob(job, 10, T0 + 1)?.statuses).toEqual(["dispatched", "running", "completed"]);
    const other = createJob({ total_items: 5, start_at: "running" }, T0);
    const change = advanceJob(other, 1, T0 + 1);
    expect(change?.statuses).toEqual([]);
    expect(change?.after.processed_items).toBe(1);
  });
});

describe("cancelling", () => {
  it("halts a running job where it stands", () => {
    const job = createJob({ total_items: 10, finished_items: 4 }, T0);
    cancelJob(job, T0 + 5000, "no longer needed");
    expect(jobJson(job)).toMatchObject({ status: "cancelled", processed_items: 4 });
    expect(jobJson(job).completed_at).toBe(new Date(T0 + 5000).toISOString());
    expect(advanceJob(job, 3, T0 + 6000)).toBeNull();
    expect(itemsPage(job, { status: "cancelled", limit: 50, offset: 0 }).total_size).toBe(6);
  });

  it("refuses a job that has already ended", () => {
    const job = createJob({ total_items: 2, start_at: "end" }, T0);
    expect(() => cancelJob(job, T0, null)).toThrow(CannotCancel);
  });
});

describe("a realtime job", () => {
  const options = {
    mode: "realtime",
    total_items: 5,
    speed: 2,
    pending_ms: 1000,
    dispatched_ms: 500,
  } as const;

  it("derives its position from elapsed time, stamped with when each stage was reached", () => {
    const job = createJob(options, T0);
    syncJob(job, T0 + 999);
    expect(jobJson(job).status).toBe("pending");
    syncJob(job, T0 + 1000);
    expect(jobJson(job).status).toBe("dispatched");
    syncJob(job, T0 + 1500 + 1600);
    // 1.6 s of running at 2 items/s: 3 items, the third finished at +1.5 s.
    expect(jobJson(job)).toMatchObject({
      status: "running",
      processed_items: 3,
      started_at: new Date(T0 + 1500).toISOString(),
      updated_at: new Date(T0 + 3000).toISOString(),
    });
    syncJob(job, T0 + 3_600_000);
    expect(jobJson(job)).toMatchObject({
      status: "completed",
      completed_at: new Date(T0 + 4000).toISOString(),
    });
  });

  it("jumps ahead on manual steps and carries on from there", () => {
    const job = createJob(options, T0);
    advanceJob(job, 3, T0 + 100); // running, 1 item, as of +100 ms
    syncJob(job, T0 + 100 + 499);
    expect(jobJson(job).processed_items).toBe(1);
    syncJob(job, T0 + 100 + 500);
    expect(jobJson(job).processed_items).toBe(2);
  });
});

describe("starting later in life", () => {
  it("back-dates earlier stages so timestamps stay in order", () => {
    const job = createJob({ total_items: 4, start_at: "end" }, T0);
    const answer = jobJson(job);
    expect(answer.status).toBe("completed");
    const times = [answer.created_at, answer.started_at, answer.completed_at].map((t) =>
      Date.parse(String(t)),
    );
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(times[2]).toBe(T0);
  });

  it("can start running with items already finished", () => {
    const job = createJob({ total_items: 10, finished_items: 6, items_per_step: 3 }, T0);
    expect(jobJson(job)).toMatchObject({ status: "running", processed_items: 6 });
  });
});

describe("patching", () => {
  it("shows set fields until the lifecycle moves on; extra fields and omissions stay", () => {
    const job = createJob({ total_items: 10, start_at: "running" }, T0);
    patchJob(
      job,
      {
        fields: { status: "paused_for_review", processed_items: 7, updated_at: "2020-01-01T00:00:00.000Z" },
        extra: { reviewer: "ada" },
        omit: ["workflow_id"],
      },
      T0 + 1000,
    );
    const patched = statusJson(job);
    expect(patched.job).toMatchObject({ status: "paused_for_review", processed_items: 7, reviewer: "ada" });
    expect(patched.job.updated_at).toBe("2020-01-01T00:00:00.000Z");
    expect(patched.job).not.toHaveProperty("workflow_id");
    expect(patched.progress_percentage).toBe(70);

    advanceJob(job, 1, T0 + 2000);
    const moved = jobJson(job);
    expect(moved).toMatchObject({ status: "running", processed_items: 1, reviewer: "ada" });
    expect(moved).not.toHaveProperty("workflow_id");
    expect(Date.parse(String(moved.updated_at))).toBeGreaterThan(T0 + 1000);
  });
});

describe("items", () => {
  it("pages through items with total_size and filters by status", () => {
    const job = createJob({ total_items: 12, failed_every: 3 }, T0);
    advanceJob(job, 2 + 7, T0 + 1);
    const first = itemsPage(job, { limit: 5, offset: 0 });
    expect(first.total_size).toBe(12);
    expect(first.items.map((item) => item.item_name)).toEqual([
      "report-0001.pdf",
      "report-0002.pdf",
      "report-0003.pdf",
      "report-0004.pdf",
      "report-0005.pdf",
    ]);
    expect(itemsPage(job, { limit: 5, offset: 10 }).items).toHaveLength(2);
    const failed = itemsPage(job, { status: "failed", limit: 50, offset: 0 });
    expect(failed.total_size).toBe(2);
    expect(failed.items.every((item) => item.error_message)).toBe(true);
    const processing = itemsPage(job, { status: "processing", limit: 50, offset: 0 });
    expect(processing.items.map((item) => item.item_name)).toEqual([
      "report-0008.pdf",
      "report-0009.pdf",
      "report-0010.pdf",
    ]);
    for (const item of itemsPage(job, { status: "completed", limit: 50, offset: 0 }).items) {
      expect(Date.parse(String(item.started_at))).toBeLessThanOrEqual(Date.parse(String(item.completed_at)));
      expect(item.job_id).toMatch(/^pjb-/);
    }
  });
});
