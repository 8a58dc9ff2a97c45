import { describe, expect, it } from "vitest";
import { badgeModel, textWidth } from "../../src/pages/badge";
import { type EtaInput, estimateCompletion } from "../../src/pages/eta";
import {
  buildTimeline,
  doneItems,
  formatCount,
  formatDuration,
  formatPercent,
  formatUtc,
  jobMarkers,
  jobTitle,
  progressPercent,
  shouldRefresh,
  statusChanges,
  statusTone,
  timeAgo,
  truncate,
} from "../../src/pages/view";
import { MINUTE } from "../helpers/time";

const NOW = Date.parse("2026-11-28T12:00:00Z");

describe("formatting", () => {
  it("says how long ago, both ways", () => {
    expect(timeAgo(NOW - 2_000, NOW)).toBe("just now");
    expect(timeAgo(NOW - 30_000, NOW)).toBe("30 s ago");
    expect(timeAgo(NOW - 2 * MINUTE - 10_000, NOW)).toBe("2 min ago");
    expect(timeAgo(NOW - 125 * MINUTE, NOW)).toBe("2 h 5 min ago");
    expect(timeAgo(NOW - 3 * 24 * 60 * MINUTE - 4 * 60 * MINUTE, NOW)).toBe("3 d 4 h ago");
    expect(timeAgo(NOW + 40_000, NOW)).toBe("in 40 s");
  });

  it("formats durations without spurious zero parts", () => {
    expect(formatDuration(0)).toBe("0 s");
    expect(formatDuration(60 * MINUTE)).toBe("1 h");
    expect(formatDuration(24 * 60 * MINUTE)).toBe("1 d");
  });

  it("formats exact times in UTC", () => {
    expect(formatUtc(NOW + 9_000)).toBe("2026-11-28 12:00:09 UTC");
  });

  it("formats counts and percents", () => {
    expect(formatCount(1234567)).toBe("1,234,567");
    expect(formatCount(null)).toBe("–");
    expect(formatPercent(null)).toBe("–");
    expect(formatPercent(42.9)).toBe("42%");
    expect(formatPercent(99.95)).toBe("99.9%");
    expect(formatPercent(100)).toBe("100%");
  });

  it("cuts long text with an ellipsis", () => {
    expect(truncate("abcdef", 4)).toBe("abc…");
    expect(truncate("abc", 4)).toBe("abc");
  });

  it("titles a job by label, else id", () => {
    expect(jobTitle({ label: "Invoices", jobId: "bjb-1" })).toBe("Invoices");
    expect(jobTitle({ label: "  ", jobId: "bjb-1" })).toBe("bjb-1");
    expect(jobTitle({ label: null, jobId: "bjb-1" })).toBe("bjb-1");
  });
});

describe("status and progress", () => {
  it("gives every status a tone; unknown statuses are neutral, not errors", () => {
    expect(statusTone("pending")).toBe("info");
    expect(statusTone("dispatched")).toBe("info");
    expect(statusTone("running")).toBe("active");
    expect(statusTone("completed")).toBe("good");
    expect(statusTone("failed")).toBe("bad");
    expect(statusTone("cancelled")).toBe("muted");
    expect(statusTone("paused_for_review")).toBe("neutral");
    expect(statusTone(null)).toBe("neutral");
  });

  it("prefers LlamaCloud's percent, derives it from counts otherwise, and clamps", () => {
    const counts = { totalItems: 200, processedItems: 50, failedItems: 25, skippedItems: 25 };
    expect(progressPercent({ ...counts, progressPercentage: 12.5 })).toBe(12.5);
    expect(progressPercent({ ...counts, progressPercentage: null })).toBe(50);
    expect(progressPercent({ ...counts, progressPercentage: 140 })).toBe(100);
    expect(progressPercent({ ...counts, progressPercentage: -3 })).toBe(0);
    expect(progressPercent({ ...counts, totalItems: 0, progressPercentage: null })).toBeNull();
    expect(doneItems({ processedItems: null, failedItems: 2, skippedItems: null })).toBe(2);
  });

  it("refreshes only while something is active", () => {
    expect(shouldRefresh([])).toBe(false);
    expect(shouldRefresh([{ state: "finished" }, { state: "lost" }])).toBe(false);
    expect(shouldRefresh([{ state: "finished" }, { state: "active" }])).toBe(true);
  });
});

describe("markers", () => {
  const quiet = {
    state: "active" as const,
    stalledSince: null,
    consecutiveFailures: 0,
    lastErrorMessage: null,
    lastErrorCode: null,
    errorMessage: null,
  };

  it("has none for a healthy job", () => {
    expect(jobMarkers(quiet, NOW)).toEqual([]);
  });

  it("marks stalled, failing, lost and upstream errors", () => {
    expect(jobMarkers({ ...quiet, stalledSince: NOW - 45 * MINUTE }, NOW)).toEqual([
      expect.objectContaining({ kind: "stalled", title: expect.stringContaining("45 min") }),
    ]);
    expect(
      jobMarkers({ ...quiet, consecutiveFailures: 5, lastErrorCode: "server", lastErrorMessage: "503" }, NOW),
    ).toEqual([
      expect.objectContaining({
        kind: "failing",
        text: "5 failed polls",
        title: expect.stringContaining("503"),
      }),
    ]);
    expect(jobMarkers({ ...quiet, consecutiveFailures: 1, lastErrorCode: "timeout" }, NOW)[0]?.text).toBe(
      "1 failed poll",
    );
    // A lost job is not also "failing": lost says it all.
    expect(jobMarkers({ ...quiet, state: "lost", consecutiveFailures: 3 }, NOW).map((m) => m.kind)).toEqual([
      "lost",
    ]);
    expect(jobMarkers({ ...quiet, errorMessage: "bad PDF" }, NOW)).toEqual([
      expect.objectContaining({ kind: "error", title: "LlamaCloud reports: bad PDF" }),
    ]);
  });

  it("marks a job waiting out a rate limit, which does not count as a failed poll", () => {
    const limited = { ...quiet, lastErrorCode: "rate_limited", lastErrorMessage: "paused until 12:00" };
    expect(jobMarkers(limited, NOW)).toEqual([
      expect.objectContaining({ kind: "rate_limited", text: "rate limited", title: "paused until 12:00" }),
    ]);
  });

  it("does not call a finished job stalled", () => {
    expect(jobMarkers({ ...quiet, state: "finished", stalledSince: NOW - MINUTE }, NOW)).toEqual([]);
  });
});

describe("estimateCompletion", () => {
  const job: EtaInput = {
    state: "active",
    status: "running",
    totalItems: 1000,
    processedItems: 380,
    failedItems: 10,
    skippedItems: 10,
    asOf: NOW,
    stalledSince: null,
  };
  const ref = (minutesAgo: number, done: number) => ({
    observedAt: NOW - minutesAgo * MINUTE,
    processedItems: done,
    failedItems: 0,
    skippedItems: 0,
  });

  it("extrapolates the recent rate to the items left", () => {
    // 300 items in 15 minutes = 20/min; 600 left → 30 minutes.
    const eta = estimateCompletion(job, ref(15, 100));
    expect(eta).toEqual({
      kind: "eta",
      remainingMs: 30 * MINUTE,
      at: NOW + 30 * MINUTE,
      perMinute: 20,
      overMs: 15 * MINUTE,
    });
  });

  it("measures the rate over the window even when the baseline snapshot is older", () => {
    // The job sat at 100 items from two hours ago until the window began: 300 items in 15 minutes.
    expect(estimateCompletion(job, ref(120, 100))).toMatchObject({
      kind: "eta",
      perMinute: 20,
      overMs: 15 * MINUTE,
    });
  });

  it("calls a zero rate stalled", () => {
    expect(estimateCompletion(job, ref(15, 400))).toEqual({ kind: "stalled", since: NOW - 15 * MINUTE });
  });

  it("trusts the monitor's stall detection", () => {
    expect(estimateCompletion({ ...job, stalledSince: NOW - 40 * MINUTE }, ref(15, 100))).toEqual({
      kind: "stalled",
      since: NOW - 40 * MINUTE,
    });
  });

  it("waits for a job that has not started", () => {
    const pending = { ...job, status: "pending", processedItems: 0, failedItems: 0, skippedItems: 0 };
    expect(estimateCompletion(pending, ref(15, 0))).toEqual({ kind: "waiting" });
  });

  it("has no estimate without history, total, or time", () => {
    expect(estimateCompletion(job, null)).toMatchObject({ kind: "unknown" });
    expect(estimateCompletion({ ...job, totalItems: null }, ref(15, 100))).toMatchObject({ kind: "unknown" });
    expect(estimateCompletion(job, ref(0.5, 100))).toMatchObject({ kind: "unknown" });
    expect(estimateCompletion(job, ref(15, 900))).toMatchObject({ kind: "unknown" });
  });

  it("says finishing when every item is done but the status is not final", () => {
    expect(estimateCompletion({ ...job, processedItems: 980 }, ref(15, 100))).toEqual({ kind: "finishing" });
  });

  it("gives no estimate for finished or lost jobs", () => {
    expect(estimateCompletion({ ...job, status: "completed", state: "finished" }, ref(15, 100))).toEqual({
      kind: "none",
    });
    expect(estimateCompletion({ ...job, state: "lost" }, ref(15, 100))).toEqual({ kind: "none" });
  });
});

describe("timeline", () => {
  const at = (m: number) => NOW - m * MINUTE;

  it("keeps only the snapshots where the status changed", () => {
    const snaps = [
      { observedAt: at(50), status: "pending" },
      { observedAt: at(40), status: "pending" },
      { observedAt: at(30), status: "running" },
      { observedAt: at(20), status: "running" },
      { observedAt: at(15), status: null },
      { observedAt: at(10), status: "running" },
    ];
    expect(statusChanges(snaps).map((s) => s.observedAt)).toEqual([at(50), at(30), at(15), at(10)]);
    expect(statusChanges([])).toEqual([]);
  });

  it("gives each status its duration; the current one runs until now", () => {
    const timeline = buildTimeline(
      [
        { observedAt: at(50), status: "pending" },
        { observedAt: at(30), status: "running" },
      ],
      NOW,
    );
    expect(timeline).toEqual([
      { status: "pending", from: at(50), to: at(30), durationMs: 20 * MINUTE },
      { status: "running", from: at(30), to: null, durationMs: 30 * MINUTE },
    ]);
  });

  it("does not count time after a final status", () => {
    const [, done] = buildTimeline(
      [
        { observedAt: at(50), status: "running" },
        { observedAt: at(30), status: "completed" },
      ],
      NOW,
    );
    expect(done).toEqual({ status: "completed", from: at(30), to: null, durationMs: null });
  });
});

describe("badge", () => {
  it("shows status and percent, coloured by status", () => {
    expect(badgeModel("running", 42.4)).toEqual({
      label: "batch",
      message: "running 42%",
      tone: "active",
      percent: 42.4,
    });
    expect(badgeModel(null, null).message).toBe("not polled");
    // Control characters cannot appear in an SVG (XML 1.0) even escaped.
    expect(badgeModel("run\u0001ning\u001b", null).message).toBe("running");
    expect(badgeModel("x".repeat(60), null).message).toHaveLength(24);
  });

  it("sizes text roughly like Verdana 11px", () => {
    expect(textWidth("running 42%")).toBeGreaterThan(50);
    expect(textWidth("running 42%")).toBeLessThan(90);
    expect(textWidth("")).toBe(0);
  });
});
