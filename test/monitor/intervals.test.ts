import { describe, expect, it } from "vitest";
import { decideOutcome } from "../../src/monitor/decisions";
import {
  LAST_FILE_PATIENCE_MINUTES,
  MAX_QUIET_INTERVAL_SECONDS,
  nextPollSeconds,
  type Pace,
} from "../../src/monitor/intervals";
import { trackedJob, v1Answer } from "../helpers/decision-inputs";
import { MINUTE } from "../helpers/time";

// The interval rule of README "How polling works", on its own: each case is one poll's pace.
const now = Date.parse("2026-12-01T12:00:00Z");

function pace(overrides: Partial<Pace> = {}): Pace {
  return {
    baseSeconds: 60,
    currentSeconds: 60,
    now,
    lastChangeAt: now - MINUTE,
    countedBefore: 10,
    counted: 20,
    total: 1_000,
    statusChanged: false,
    stallAfterMinutes: 30,
    ...overrides,
  };
}

/** A poll whose counts stood still: `counted` at this poll and the last, the last change `quietMinutes` ago. */
function still(counted: number, quietMinutes: number, currentSeconds: number): Pace {
  return pace({ countedBefore: counted, counted, lastChangeAt: now - quietMinutes * MINUTE, currentSeconds });
}

describe("nextPollSeconds", () => {
  it("resets to the base interval on a new status or the first answer, however long the wait was", () => {
    expect(nextPollSeconds(pace({ currentSeconds: 600, statusChanged: true }))).toBe(60);
    expect(nextPollSeconds(pace({ currentSeconds: 600, lastChangeAt: null, countedBefore: null }))).toBe(60);
  });

  it("waits a tenth of the predicted time left while the counts move, at most ten minutes", () => {
    // 10 files a minute, 980 left: the end is about 98 minutes away, so the next poll is in 588 s.
    expect(nextPollSeconds(pace())).toBe(588);
    expect(nextPollSeconds(pace({ total: 100_000 }))).toBe(MAX_QUIET_INTERVAL_SECONDS);
  });

  it("polls at the base interval once the predicted end is near", () => {
    expect(nextPollSeconds(pace({ countedBefore: 80, counted: 90, total: 100, currentSeconds: 300 }))).toBe(
      60,
    );
  });

  it("measures the rate over the last wait when the counts stood still before it", () => {
    // 30 files since the previous poll 5 minutes ago, after 40 quiet minutes: 0.1 a second, not 30 in 40 min.
    const resumed = pace({
      lastChangeAt: now - 40 * MINUTE,
      currentSeconds: 300,
      countedBefore: 100,
      counted: 130,
    });
    expect(nextPollSeconds({ ...resumed, total: 400 })).toBe(270);
  });

  it("counts the wait down when a moving job shows nothing new, down to the base interval", () => {
    const quiet = still(20, 5, 300);
    expect(nextPollSeconds(quiet)).toBe(270);
    expect(nextPollSeconds({ ...quiet, currentSeconds: 60 })).toBe(60);
  });

  it("keeps the quiet growth, up to ten minutes, for a job with no usable rate", () => {
    const queued = still(0, 20, 200);
    expect(nextPollSeconds(queued)).toBe(300);
    expect(nextPollSeconds({ ...queued, total: null, counted: null, countedBefore: null })).toBe(300);
    const stalled = still(20, 30, 200);
    expect(nextPollSeconds(stalled)).toBe(300);
    expect(nextPollSeconds({ ...stalled, currentSeconds: 600 })).toBe(MAX_QUIET_INTERVAL_SECONDS);
  });

  it("polls every tick while the last file is out, for a while, then grows like a quiet job", () => {
    const last = still(999, 45, 60);
    expect(nextPollSeconds(last)).toBe(60);
    expect(nextPollSeconds({ ...last, counted: 1_000, countedBefore: 1_000 })).toBe(60);
    const longer = { ...last, lastChangeAt: now - LAST_FILE_PATIENCE_MINUTES * MINUTE };
    expect(nextPollSeconds(longer)).toBe(90);
  });
});

describe("decideOutcome follows the pace", () => {
  const job = trackedJob(
    {
      status: "running",
      totalItems: 1_000,
      processedItems: 10,
      failedItems: 0,
      skippedItems: 0,
      progressPercentage: 1,
      errorMessage: null,
      upstreamUpdatedAt: "2026-12-01T11:59:00Z",
    },
    now,
    { trackedAt: now - 10 * MINUTE },
  );
  const settings = { pollIntervalSeconds: 60, stallAfterMinutes: 30, pollSchedule: "predictive" as const };
  const answer = (fields: Record<string, unknown>, progress: number) =>
    v1Answer(
      { total_items: 1_000, failed_items: 0, updated_at: "2026-12-01T12:00:00Z", ...fields },
      progress,
    );

  it("polls a job far from its end sparsely, with a snapshot of the change", () => {
    const outcome = decideOutcome(job, answer({ processed_items: 20 }, 2), now, settings);
    expect(outcome.snapshot).toMatchObject({ processedItems: 20 });
    expect(outcome.changes).toMatchObject({
      pollIntervalSeconds: 588,
      nextPollAt: now + 588_000,
      lastChangeAt: now,
    });
  });

  it("resets to the base interval when the status changes, even with the counts moving", () => {
    const outcome = decideOutcome(
      { ...job, pollIntervalSeconds: 600 },
      answer({ status: "paused", processed_items: 20 }, 2),
      now,
      settings,
    );
    expect(outcome.changes).toMatchObject({ pollIntervalSeconds: 60, nextPollAt: now + 60_000 });
  });
});
