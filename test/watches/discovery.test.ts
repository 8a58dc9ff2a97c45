import { describe, expect, it } from "vitest";
import {
  afterPage,
  chooseNewJobs,
  LIST_PAGE_SIZE,
  type ListedPage,
  pageRequest,
  readCursor,
  SCAN_EARLY_FRACTION,
  type ScanCursor,
  type ScanEnd,
  scanOutcome,
  scanPlan,
  startOfPass,
  V2_CREATED_MARGIN_MS,
  withLeftovers,
} from "../../src/monitor/discovery";
import type { UpstreamFailure } from "../../src/upstream/failures";
import type { ListedJob } from "../../src/upstream/v1-list";

// The pure discovery rules: which lists a pass reads, how it moves from page to page and resumes,
// which listed jobs are new, and what a scan writes on its watch.

const now = Date.parse("2026-11-28T12:00:00Z");
const since = Date.parse("2026-11-28T11:00:00Z");

function cursor(fields: Partial<ScanCursor> = {}): ScanCursor {
  return { ...startOfPass(since), ...fields };
}

function listed(id: string, projectId: string | null = "prj-1", more: Partial<ListedJob> = {}): ListedJob {
  return { id, status: "running", projectId, createdAt: null, ...more };
}

function page(ids: string[], at: Partial<ScanCursor> = {}, api: "v1" | "v2" = "v1"): ListedPage {
  return { api, jobs: ids.map((id) => listed(id)), cursorBefore: cursor(at), previousPassAt: null };
}

describe("scanPlan", () => {
  it("lists every active v1 status each pass, since v1 has no creation filter", () => {
    expect(scanPlan({ apis: ["v1"], v2Since: null })).toEqual([
      { api: "v1", status: "pending" },
      { api: "v1", status: "dispatched" },
      { api: "v1", status: "running" },
    ]);
    expect(scanPlan({ apis: ["v1"], v2Since: since })).toHaveLength(3);
  });

  it("takes non-terminal v2 batches by status first, then everything created since the last pass", () => {
    expect(scanPlan({ apis: ["v2"], v2Since: null })).toEqual([
      { api: "v2", status: "PENDING", createdOnOrAfter: null, previousPassAt: null },
      { api: "v2", status: "RUNNING", createdOnOrAfter: null, previousPassAt: null },
      { api: "v2", status: "THROTTLED", createdOnOrAfter: null, previousPassAt: null },
    ]);
    expect(scanPlan({ apis: ["v2"], v2Since: since })).toEqual([
      { api: "v2", status: null, createdOnOrAfter: since - V2_CREATED_MARGIN_MS, previousPassAt: since },
    ]);
  });

  it("reads v1 before v2 and nothing for a watch of neither", () => {
    expect(scanPlan({ apis: ["v2", "v1"], v2Since: since }).map((s) => s.api)).toEqual([
      "v1",
      "v1",
      "v1",
      "v2",
    ]);
    expect(scanPlan({ apis: [], v2Since: null })).toEqual([]);
  });
});

describe("cursors", () => {
  it("round-trips through its stored JSON and refuses what does not fit the plan", () => {
    const c = cursor({ step: 2, offset: 300, pageToken: "tok" });
    expect(readCursor(JSON.stringify(c), 3)).toEqual(c);
    expect(readCursor(JSON.stringify(c), 2)).toBeNull();
    expect(readCursor(null, 3)).toBeNull();
    expect(readCursor("{not json", 3)).toBeNull();
    expect(readCursor(JSON.stringify({ ...c, offset: -1 }), 3)).toBeNull();
    expect(readCursor(JSON.stringify({ ...c, pageToken: 5 }), 3)).toBeNull();
    expect(readCursor(JSON.stringify({ ...c, step: 1.5 }), 3)).toBeNull();
  });

  it("asks for the page it points at", () => {
    expect(pageRequest({ api: "v1", status: "running" }, cursor({ offset: 200 }))).toEqual({
      api: "v1",
      status: "running",
      limit: LIST_PAGE_SIZE,
      offset: 200,
    });
    const step = { api: "v2", status: null, createdOnOrAfter: since, previousPassAt: since } as const;
    expect(pageRequest(step, cursor({ pageToken: "t2" }))).toEqual({
      api: "v2",
      status: null,
      createdOnOrAfter: "2026-11-28T11:00:00.000Z",
      pageSize: LIST_PAGE_SIZE,
      pageToken: "t2",
    });
  });
});

describe("afterPage", () => {
  it("follows v1 offsets while total_size says there is more, then moves to the next list", () => {
    const first = cursor({ step: 0, offset: 0 });
    expect(afterPage(first, 3, { api: "v1", listed: 100, totalSize: 250 })).toEqual(
      cursor({ step: 0, offset: 100 }),
    );
    expect(afterPage(cursor({ offset: 200 }), 3, { api: "v1", listed: 50, totalSize: 250 })).toEqual(
      cursor({ step: 1, offset: 0 }),
    );
  });

  it("without total_size, goes on after a full page and stops after a short one", () => {
    expect(afterPage(cursor(), 3, { api: "v1", listed: LIST_PAGE_SIZE, totalSize: null })?.offset).toBe(100);
    expect(afterPage(cursor(), 3, { api: "v1", listed: 99, totalSize: null })?.step).toBe(1);
  });

  it("ends a list at an empty page even when total_size claims more (no endless loop)", () => {
    expect(afterPage(cursor({ offset: 100 }), 3, { api: "v1", listed: 0, totalSize: 5000 })).toEqual(
      cursor({ step: 1, offset: 0 }),
    );
  });

  it("follows v2 page tokens and ends the pass after the last list", () => {
    expect(afterPage(cursor(), 1, { api: "v2", nextPageToken: "t1" })).toEqual(cursor({ pageToken: "t1" }));
    expect(afterPage(cursor({ pageToken: "t1" }), 1, { api: "v2", nextPageToken: null })).toBeNull();
    expect(
      afterPage(cursor({ step: 2, offset: 100 }), 3, { api: "v1", listed: 3, totalSize: 103 }),
    ).toBeNull();
  });

  it("keeps the pass's start across lists", () => {
    const next = afterPage(cursor({ passStartedAt: 42 }), 2, { api: "v2", nextPageToken: null });
    expect(next?.passStartedAt).toBe(42);
  });
});

describe("chooseNewJobs", () => {
  it("skips known jobs, repeats and other projects, keeping list order", () => {
    const pages = [page(["a", "b", "c"]), page(["c", "d"], { step: 1 })];
    pages[1]?.jobs.push(listed("e", "prj-other"), listed("f", null));
    const { picks, resumeAt } = chooseNewJobs(pages, new Set(["b"]), { projectId: "prj-1", limit: 10 });
    expect(picks.map((p) => p.id)).toEqual(["a", "c", "d", "f"]);
    expect(picks.map((p) => p.cursorBefore.step)).toEqual([0, 0, 1, 1]);
    expect(resumeAt).toBeNull();
  });

  it("stops at the limit and says on which page the first leftover was listed", () => {
    const pages = [page(["a", "b"], { offset: 0 }), page(["c", "d"], { offset: 100 })];
    const { picks, resumeAt } = chooseNewJobs(pages, new Set(), { projectId: "prj-1", limit: 3 });
    expect(picks.map((p) => p.id)).toEqual(["a", "b", "c"]);
    expect(resumeAt).toEqual(cursor({ offset: 100 }));
  });

  it("in a later v2 pass, passes over batches already over that were created before the previous pass", () => {
    const before = "2026-11-28T10:59:00Z";
    const after = "2026-11-28T11:00:01Z";
    const laterPass: ListedPage = {
      api: "v2",
      jobs: [
        listed("bat-old-done", "prj-1", { status: "COMPLETED", createdAt: before }),
        listed("bat-old-running", "prj-1", { status: "RUNNING", createdAt: before }),
        listed("bat-new-done", "prj-1", { status: "FAILED", createdAt: after }),
        listed("bat-unknown-time", "prj-1", { status: "CANCELLED", createdAt: "yesterday" }),
      ],
      cursorBefore: cursor(),
      previousPassAt: since,
    };
    const { picks } = chooseNewJobs([laterPass], new Set(), { projectId: "prj-1", limit: 10 });
    expect(picks.map((p) => p.id)).toEqual(["bat-old-running", "bat-new-done", "bat-unknown-time"]);
  });

  it("takes the api from the list a job came from", () => {
    const { picks } = chooseNewJobs([page(["bjb-1"]), page(["bat-1"], {}, "v2")], new Set(), {
      projectId: "prj-1",
      limit: 5,
    });
    expect(picks.map((p) => p.api)).toEqual(["v1", "v2"]);
  });
});

describe("scanOutcome", () => {
  const plan = scanPlan({ apis: ["v1", "v2"], v2Since: null });
  const interval = 60;

  it("a completed pass clears the error, moves the v2 mark to its start and is due a little early", () => {
    const changes = scanOutcome(
      { consecutiveFailures: 3 },
      { end: { kind: "complete" }, passStartedAt: since, plan, jobsFound: 4 },
      now,
      interval,
    );
    expect(changes).toEqual({
      lastScanAt: now,
      nextScanAt: now + interval * 1000 * (1 - SCAN_EARLY_FRACTION),
      consecutiveFailures: 0,
      lastErrorCode: null,
      lastErrorMessage: null,
      lastErrorAt: null,
      scanCursor: null,
      v2Since: since,
      jobsFound: 4,
    });
  });

  it("a v1-only watch has no v2 mark to move", () => {
    const v1 = scanPlan({ apis: ["v1"], v2Since: null });
    const changes = scanOutcome(
      { consecutiveFailures: 0 },
      { end: { kind: "complete" }, passStartedAt: since, plan: v1, jobsFound: 0 },
      now,
      interval,
    );
    expect(changes).not.toHaveProperty("v2Since");
  });

  it("a bounded scan keeps its place and does not move the v2 mark", () => {
    const at = cursor({ step: 2, offset: 1000 });
    const changes = scanOutcome(
      { consecutiveFailures: 0 },
      { end: { kind: "bounded", cursor: at }, passStartedAt: since, plan, jobsFound: 50 },
      now,
      interval,
    );
    expect(changes.scanCursor).toBe(JSON.stringify(at));
    expect(changes.lastScanAt).toBe(now);
    expect(changes).not.toHaveProperty("v2Since");
  });

  it("a failed scan records the error and backs off exponentially, keeping its place", () => {
    const at = cursor({ step: 1 });
    const failure = {
      kind: "server_error",
      message: "LlamaCloud answered HTTP 503.",
      httpStatus: 503,
    } as const;
    const first = scanOutcome(
      { consecutiveFailures: 0 },
      { end: { kind: "failed", cursor: at, failure }, passStartedAt: since, plan, jobsFound: 1 },
      now,
      interval,
    );
    expect(first).toEqual({
      nextScanAt: now + 60_000,
      consecutiveFailures: 1,
      lastErrorCode: "server_error",
      lastErrorMessage: failure.message,
      lastErrorAt: now,
      scanCursor: JSON.stringify(at),
      jobsFound: 1,
    });
    const third = scanOutcome(
      { consecutiveFailures: 2 },
      { end: { kind: "failed", cursor: at, failure }, passStartedAt: since, plan, jobsFound: 0 },
      now,
      interval,
    );
    expect(third.nextScanAt).toBe(now + 4 * 60_000);
  });

  it("a 429 waits for its pause without counting against the watch; a missing key retries at the interval", () => {
    const failed = (failure: UpstreamFailure): ScanEnd => ({ kind: "failed", cursor: cursor(), failure });
    const limited = scanOutcome(
      { consecutiveFailures: 2 },
      {
        end: failed({ kind: "rate_limited", message: "slow down", retryAt: now + 120_000 }),
        passStartedAt: since,
        plan,
        jobsFound: 0,
      },
      now,
      interval,
    );
    expect(limited.nextScanAt).toBe(now + 120_000);
    expect(limited.consecutiveFailures).toBe(2);
    const unconfigured = scanOutcome(
      { consecutiveFailures: 7 },
      {
        end: failed({ kind: "not_configured", message: "no key" }),
        passStartedAt: since,
        plan,
        jobsFound: 0,
      },
      now,
      interval,
    );
    expect(unconfigured.nextScanAt).toBe(now + 60_000);
  });
});

describe("withLeftovers", () => {
  it("makes a scan with untracked new jobs resume at their page", () => {
    const at = cursor({ offset: 100 });
    expect(withLeftovers({ kind: "complete" }, null)).toEqual({ kind: "complete" });
    expect(withLeftovers({ kind: "complete" }, at)).toEqual({ kind: "bounded", cursor: at });
    const failure = { kind: "network", message: "down" } as const;
    expect(withLeftovers({ kind: "failed", cursor: cursor({ step: 2 }), failure }, at)).toEqual({
      kind: "failed",
      cursor: at,
      failure,
    });
  });
});
