import { describe, expect, it } from "vitest";
import {
  isStale,
  isTerminal,
  movesBackwards,
  observationChanged,
  type PollResult,
  type TrackedJob,
} from "../../src/monitor/decisions";
import {
  errorBackoffSeconds,
  MAX_ERROR_BACKOFF_SECONDS,
  MAX_QUIET_INTERVAL_SECONDS,
  nextQuietInterval,
  retryAfterFailureSeconds,
  stalledSince,
} from "../../src/monitor/intervals";
import { decide, NOW, runningObservation, SETTINGS, trackedJob, v1Answer } from "../helpers/decision-inputs";

const running = runningObservation();

const tracked = (overrides: Partial<TrackedJob> = {}) => trackedJob(running, NOW, overrides);

function answer(overrides: Partial<Record<string, unknown>> = {}, progress = 41): PollResult {
  return v1Answer(
    {
      total_items: 100,
      processed_items: 40,
      failed_items: 1,
      error_message: null,
      updated_at: "2026-11-28T11:59:00Z",
      ...overrides,
    },
    progress,
  );
}

function failure(kind: string, extra: Record<string, unknown> = {}): PollResult {
  return { ok: false, failure: { kind, message: `${kind} happened`, ...extra } as never };
}

describe("isTerminal", () => {
  it.each(["completed", "failed", "cancelled"])("%s is terminal", (s) => expect(isTerminal(s)).toBe(true));
  it.each(["pending", "running", "dispatched", "paused_for_review", null])("%s is not", (s) =>
    expect(isTerminal(s)).toBe(false),
  );
});

describe("observationChanged", () => {
  it("is true for the first observation", () => {
    expect(observationChanged(null, running)).toBe(true);
    expect(observationChanged({ ...running, status: null }, running)).toBe(true);
  });
  it("is false when only upstream updated_at moved", () => {
    expect(observationChanged(running, { ...running, upstreamUpdatedAt: "2026-11-28T12:00:00Z" })).toBe(
      false,
    );
  });
  it.each([
    ["status", { status: "completed" }],
    ["total", { totalItems: 101 }],
    ["processed", { processedItems: 41 }],
    ["failed", { failedItems: 2 }],
    ["skipped", { skippedItems: 1 }],
    ["progress", { progressPercentage: 42 }],
    ["error", { errorMessage: "boom" }],
  ])("is true when %s changes", (_, change) => {
    expect(observationChanged(running, { ...running, ...change })).toBe(true);
  });
});

describe("movesBackwards", () => {
  const at = (status: string | null, upstreamUpdatedAt: string | null) => ({ status, upstreamUpdatedAt });
  it("never calls a terminal answer backwards", () => {
    expect(
      movesBackwards(at("running", "2026-11-28T12:00:00Z"), at("failed", "2026-11-28T11:00:00Z"), NOW),
    ).toBe(false);
  });
  it("leaves a terminal status only for a strictly newer, parseable updated_at", () => {
    const done = at("completed", "2026-11-28T12:00:00Z");
    expect(movesBackwards(done, at("running", "2026-11-28T12:00:01Z"), NOW)).toBe(false);
    expect(movesBackwards(done, at("running", "2026-11-28T12:00:00Z"), NOW)).toBe(true);
    expect(movesBackwards(done, at("running", null), NOW)).toBe(true);
    expect(movesBackwards(at("completed", null), at("running", "2026-11-28T12:00:01Z"), NOW)).toBe(true);
  });
  it("otherwise follows the stale rule", () => {
    const live = at("running", "2026-11-28T12:00:00Z");
    expect(movesBackwards(live, at("pending", "2026-11-28T11:00:00Z"), NOW)).toBe(true);
    expect(movesBackwards(live, at("pending", null), NOW)).toBe(false);
  });
});

describe("isStale", () => {
  it("is stale only when the answer is strictly older", () => {
    expect(isStale("2026-11-28T12:00:00Z", "2026-11-28T11:00:00Z", NOW)).toBe(true);
    expect(isStale("2026-11-28T12:00:00Z", "2026-11-28T12:00:00Z", NOW)).toBe(false);
    expect(isStale("2026-11-28T12:00:00Z", "2026-11-28T13:00:00Z", NOW)).toBe(false);
  });
  it("does not trust a stored timestamp far in the future", () => {
    expect(isStale("2027-01-01T00:00:00Z", "2026-11-28T11:59:00Z", NOW)).toBe(false);
    expect(isStale("2026-11-28T12:30:00Z", "2026-11-28T11:59:00Z", NOW)).toBe(true);
  });
  it("does not call missing or unparseable timestamps stale", () => {
    expect(isStale(null, "2026-11-28T11:00:00Z", NOW)).toBe(false);
    expect(isStale("2026-11-28T12:00:00Z", null, NOW)).toBe(false);
    expect(isStale("yesterday", "2026-11-28T11:00:00Z", NOW)).toBe(false);
  });
});

describe("intervals", () => {
  it("grows while quiet, up to ten minutes", () => {
    const seen: number[] = [];
    let interval = 60;
    for (let i = 0; i < 10; i++) {
      interval = nextQuietInterval(interval, 60);
      seen.push(interval);
    }
    expect(seen.slice(0, 3)).toEqual([90, 135, 203]);
    expect(seen.at(-1)).toBe(MAX_QUIET_INTERVAL_SECONDS);
    expect(seen.every((s, i) => i === 0 || s >= (seen[i - 1] as number))).toBe(true);
  });
  it("backs off exponentially on errors, up to thirty minutes", () => {
    expect([1, 2, 3, 4, 5].map((n) => errorBackoffSeconds(n, 60))).toEqual([60, 120, 240, 480, 960]);
    expect(errorBackoffSeconds(6, 60)).toBe(MAX_ERROR_BACKOFF_SECONDS);
    expect(errorBackoffSeconds(500, 60)).toBe(MAX_ERROR_BACKOFF_SECONDS);
  });
  it("retries a missing API key at the base interval, however often it failed", () => {
    expect(retryAfterFailureSeconds("not_configured", 12, 60)).toBe(60);
    expect(retryAfterFailureSeconds("server_error", 12, 60)).toBe(MAX_ERROR_BACKOFF_SECONDS);
    const outcome = decide(tracked({ consecutiveFailures: 9 }), {
      ok: false,
      failure: { kind: "not_configured", message: "no key" },
    });
    expect(outcome.changes).toMatchObject({ consecutiveFailures: 10, nextPollAt: NOW + 60_000 });
  });
});

describe("stalledSince", () => {
  it("marks a job stalled once nothing changed for the threshold, since its last change", () => {
    expect(stalledSince(NOW - 29 * 60_000, NOW, 30)).toBeNull();
    expect(stalledSince(NOW - 30 * 60_000, NOW, 30)).toBe(NOW - 30 * 60_000);
    expect(stalledSince(null, NOW, 30)).toBeNull();
  });
});

describe("decideOutcome", () => {
  it("writes a snapshot and resets the interval when something changed", () => {
    const outcome = decide(
      tracked({ pollIntervalSeconds: 300 }),
      answer({ processed_items: 50, updated_at: "2026-11-28T12:00:00Z" }, 51),
    );
    expect(outcome.snapshot).toMatchObject({ processedItems: 50, progressPercentage: 51 });
    expect(outcome.changes).toMatchObject({
      state: "active",
      pollIntervalSeconds: 60,
      nextPollAt: NOW + 60_000,
      lastChangeAt: NOW,
      lastSuccessAt: NOW,
      consecutiveFailures: 0,
      stalledSince: null,
    });
    expect(outcome.changes.upstream?.observation.processedItems).toBe(50);
  });

  it("writes no snapshot and grows the interval when nothing changed", () => {
    const outcome = decide(tracked(), answer());
    expect(outcome.snapshot).toBeNull();
    expect(outcome.changes.pollIntervalSeconds).toBe(90);
    expect(outcome.changes.nextPollAt).toBe(NOW + 90_000);
    expect(outcome.changes.lastChangeAt).toBe(NOW - 60_000);
  });

  it("with POLL_SCHEDULE=predictive, counts the wait down when a moving job shows nothing new", () => {
    // 41 of 100 counted and a minute since the last change: the end may be near, so the wait does not
    // grow (it counts down, and the base interval is its floor; test/monitor/intervals.test.ts).
    const outcome = decide(tracked(), answer(), { ...SETTINGS, pollSchedule: "predictive" });
    expect(outcome.snapshot).toBeNull();
    expect(outcome.changes.pollIntervalSeconds).toBe(60);
    expect(outcome.changes.nextPollAt).toBe(NOW + 60_000);
    expect(outcome.changes.lastChangeAt).toBe(NOW - 60_000);
  });

  it("keeps unknown fields and unknown statuses, which are not terminal", () => {
    const outcome = decide(tracked(), answer({ status: "paused_for_review", shiny_new: 7 }));
    expect(outcome.changes.state).toBe("active");
    expect(outcome.snapshot?.status).toBe("paused_for_review");
    expect(JSON.parse(outcome.changes.upstream?.upstreamJob ?? "{}")).toMatchObject({ shiny_new: 7 });
  });

  it.each(["completed", "failed", "cancelled"])("stops polling at %s", (status) => {
    const outcome = decide(tracked(), answer({ status }));
    expect(outcome.changes.state).toBe("finished");
    expect(outcome.changes.nextPollAt).toBeNull();
    expect(outcome.snapshot?.status).toBe(status);
  });

  it("never applies a stale answer", () => {
    const job = tracked({ upstreamUpdatedAt: "2026-11-28T11:59:00Z" });
    const outcome = decide(
      job,
      answer({ status: "pending", processed_items: 0, updated_at: "2026-11-28T11:00:00Z" }, 0),
    );
    expect(outcome.snapshot).toBeNull();
    expect(outcome.changes.upstream).toBeUndefined();
    expect(outcome.changes).toMatchObject({ state: "active", lastPolledAt: NOW, lastSuccessAt: NOW });
  });

  it("applies a terminal status even when it looks older", () => {
    const job = tracked({ upstreamUpdatedAt: "2026-11-28T11:59:00Z" });
    const outcome = decide(job, answer({ status: "completed", updated_at: "2026-11-28T11:00:00Z" }));
    expect(outcome.changes.state).toBe("finished");
    expect(outcome.snapshot?.status).toBe("completed");
  });

  it.each([
    ["no updated_at", { updated_at: null }],
    ["an unparseable updated_at", { updated_at: "soon" }],
    ["the same updated_at", { updated_at: "2026-11-28T11:59:00Z" }],
  ])("keeps a finished job finished when a non-terminal answer has %s", (_, fields) => {
    const job = tracked({
      status: "completed",
      state: "finished",
      upstreamUpdatedAt: "2026-11-28T11:59:00Z",
    });
    const outcome = decide(job, answer({ status: "running", ...fields }));
    expect(outcome.snapshot).toBeNull();
    expect(outcome.changes.upstream).toBeUndefined();
    expect(outcome.changes.state).toBe("finished");
    expect(outcome.changes.nextPollAt).toBeNull();
  });

  it("reopens a finished job only on a strictly newer updated_at", () => {
    const job = tracked({ status: "failed", state: "finished", upstreamUpdatedAt: "2026-11-28T11:59:00Z" });
    const outcome = decide(job, answer({ status: "running", updated_at: "2026-11-28T11:59:30Z" }));
    expect(outcome.changes.state).toBe("active");
    expect(outcome.snapshot?.status).toBe("running");
  });

  it("marks a quiet job stalled after the threshold, and clears it when it moves", () => {
    const quiet = tracked({ lastChangeAt: NOW - 31 * 60_000 });
    const stalled = decide(quiet, answer());
    expect(stalled.changes.stalledSince).toBe(NOW - 31 * 60_000);
    const moving = decide({ ...quiet, stalledSince: NOW - 31 * 60_000 }, answer({ processed_items: 41 }));
    expect(moving.changes.stalledSince).toBeNull();
  });

  it("backs off on errors and records the error", () => {
    const outcome = decide(tracked({ consecutiveFailures: 2 }), failure("server_error"));
    expect(outcome.snapshot).toBeNull();
    expect(outcome.failure).toBe("server_error");
    expect(outcome.changes).toMatchObject({
      state: "active",
      consecutiveFailures: 3,
      nextPollAt: NOW + 240_000,
      lastErrorCode: "server_error",
      lastErrorAt: NOW,
    });
    expect(outcome.changes.upstream).toBeUndefined();
  });

  it("declares a job lost after three 404s in a row, and only then", () => {
    const second = decide(tracked({ consecutiveNotFound: 1 }), failure("not_found"));
    expect(second.changes.state).toBe("active");
    expect(second.changes.consecutiveNotFound).toBe(2);
    const third = decide(tracked({ consecutiveNotFound: 2 }), failure("not_found"));
    expect(third.changes).toMatchObject({ state: "lost", nextPollAt: null, consecutiveNotFound: 3 });
  });

  it("breaks a 404 streak on any other answer", () => {
    const outcome = decide(tracked({ consecutiveNotFound: 2 }), failure("timeout"));
    expect(outcome.changes.consecutiveNotFound).toBe(0);
    expect(decide(tracked({ consecutiveNotFound: 2 }), answer()).changes.consecutiveNotFound).toBe(0);
  });

  it("pauses on a 429 without counting it against the job", () => {
    const retryAt = NOW + 120_000;
    const outcome = decide(tracked({ consecutiveFailures: 1 }), failure("rate_limited", { retryAt }));
    expect(outcome.pauseUntil).toBe(retryAt);
    expect(outcome.changes).toMatchObject({
      consecutiveFailures: 1,
      nextPollAt: retryAt,
      lastErrorCode: "rate_limited",
    });
  });

  it("leaves a lost job lost when a poll fails for another reason", () => {
    const outcome = decide(tracked({ state: "lost", consecutiveNotFound: 3 }), failure("timeout"));
    expect(outcome.changes).toMatchObject({ state: "lost", nextPollAt: null });
  });

  it("brings a lost job back when it answers again", () => {
    const outcome = decide(tracked({ state: "lost", consecutiveNotFound: 3 }), answer());
    expect(outcome.changes.state).toBe("active");
    expect(outcome.changes.consecutiveNotFound).toBe(0);
  });
});
