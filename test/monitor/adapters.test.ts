// The pure parts of polling two APIs through one monitor: each generation's adapter turns its answer
// into the API-neutral Reading decideOutcome takes (v1 settled at a terminal status, v2 by the
// finished rule), v1's failed-items paging rules, which items a poll writes, the failed items a
// job.finished lists, and the request budget.
import { describe, expect, it } from "vitest";
import type { ItemState, Observation } from "../../src/model";
import { requestBudget } from "../../src/monitor/budget";
import type { Reading, TrackedJob } from "../../src/monitor/decisions";
import { changedItems, failedItems, MAX_FAILED_ITEMS_LISTED, mergeItems } from "../../src/monitor/items";
import { failedItemsOffset, itemOfV1, itemsPageLimit, MAX_V1_ITEMS, readStatus } from "../../src/monitor/v1";
import { readBatch, storedChildren, UNSETTLED_GRACE_MS } from "../../src/monitor/v2";
import type { StatusAnswer } from "../../src/upstream/v1";
import type { Batch } from "../../src/upstream/v2";
import { decide, NOW, runningObservation, trackedJob } from "../helpers/decision-inputs";

const observation = runningObservation({
  totalItems: 3,
  processedItems: 1,
  failedItems: 0,
  progressPercentage: 33.33,
});

const tracked = (overrides: Partial<TrackedJob> = {}) => trackedJob(observation, NOW, overrides);

function reading(fields: Partial<Observation>, settled: boolean): { ok: true; answer: Reading } {
  return {
    ok: true,
    answer: { observation: { ...observation, ...fields }, settled, jobType: "parse_v2", upstreamJob: "{}" },
  };
}

function item(itemId: string, fields: Partial<ItemState> = {}): ItemState {
  return {
    itemId,
    name: `${itemId}.pdf`,
    status: "running",
    errorMessage: null,
    childJobId: `pjb-${itemId}`,
    childType: "parse_v2",
    updatedAt: null,
    settled: false,
    ...fields,
  };
}

describe("readStatus (v1)", () => {
  const answer = (status: string, fields: Record<string, unknown> = {}): StatusAnswer => ({
    job: {
      id: "bjb-1",
      status,
      job_type: "parse",
      failed_items: 2,
      updated_at: "2026-11-28T11:00:00Z",
      ...fields,
    },
    progress_percentage: 50,
  });

  it.each([
    ["completed", true],
    ["failed", true],
    ["cancelled", true],
    ["running", false],
    ["paused_for_review", false],
  ])("%s is settled: %s", (status, settled) => {
    expect(readStatus(answer(status)).settled).toBe(settled);
  });

  it("keeps every field but the id as the upstream job, with the progress", () => {
    const read = readStatus(answer("running", { shiny: 1 }));
    expect(read.jobType).toBe("parse");
    expect(read.observation).toMatchObject({ status: "running", failedItems: 2, progressPercentage: 50 });
    expect(JSON.parse(read.upstreamJob)).toEqual({
      status: "running",
      job_type: "parse",
      failed_items: 2,
      updated_at: "2026-11-28T11:00:00Z",
      shiny: 1,
      progress_percentage: 50,
    });
  });
});

describe("decideOutcome with a Reading", () => {
  it("keeps polling a terminal status that is not settled (a v2 batch whose children run)", () => {
    const outcome = decide(tracked(), reading({ status: "completed" }, false));
    expect(outcome.changes).toMatchObject({ state: "active", terminalSeenAt: NOW });
    expect(outcome.changes.nextPollAt).toBe(NOW + 60_000);
    expect(outcome.snapshot?.status).toBe("completed");
  });

  it("keeps the time a terminal status was first seen, and clears it when the status leaves", () => {
    const seen = tracked({ status: "completed", terminalSeenAt: NOW - 5_000 });
    expect(decide(seen, reading({ status: "completed" }, false)).changes).toMatchObject({
      terminalSeenAt: NOW - 5_000,
    });
    const back = reading({ status: "running", upstreamUpdatedAt: "2026-11-28T12:00:00Z" }, false);
    expect(decide(seen, back).changes.terminalSeenAt).toBeNull();
  });

  it("finishes when the reading is settled, and leaves terminalSeenAt alone on failures", () => {
    const outcome = decide(tracked(), reading({ status: "completed" }, true));
    expect(outcome.changes).toMatchObject({ state: "finished", nextPollAt: null, stalledSince: null });
    const failed = decide(tracked({ terminalSeenAt: NOW - 1 }), {
      ok: false,
      failure: { kind: "server_error", message: "500" },
    });
    expect(failed.changes).not.toHaveProperty("terminalSeenAt");
  });

  it("keeps an active job active on old news, even when its stored status is terminal", () => {
    const job = tracked({ status: "completed", upstreamUpdatedAt: "2026-11-28T11:59:00Z" });
    const old = reading({ status: "running", upstreamUpdatedAt: "2026-11-28T11:00:00Z" }, false);
    const outcome = decide(job, old);
    expect(outcome.changes.upstream).toBeUndefined();
    expect(outcome.changes.state).toBe("active");
  });
});

describe("v1 failed items", () => {
  const answer = (failed: number | null): StatusAnswer => ({
    job: { id: "bjb-1", status: "running", failed_items: failed },
  });

  it("reads from the stored count on while upstream counts more", () => {
    expect(failedItemsOffset(answer(0), 0)).toBeNull();
    expect(failedItemsOffset(answer(null), 0)).toBeNull();
    expect(failedItemsOffset(answer(5), 5)).toBeNull();
    expect(failedItemsOffset(answer(5), 2)).toBe(2);
  });

  it("stops at MAX_V1_ITEMS stored, asking never past it", () => {
    expect(failedItemsOffset(answer(5_000), MAX_V1_ITEMS)).toBeNull();
    expect(itemsPageLimit(0)).toBe(100);
    expect(itemsPageLimit(MAX_V1_ITEMS - 30)).toBe(30);
  });

  it("maps an item: lower-case status, its completion (else its start) as its time, settled", () => {
    expect(
      itemOfV1({
        item_id: "i1",
        item_name: "a.pdf",
        status: "FAILED",
        error_message: "bad",
        started_at: "s",
        completed_at: null,
      }),
    ).toEqual({
      itemId: "i1",
      name: "a.pdf",
      status: "failed",
      errorMessage: "bad",
      childJobId: null,
      childType: null,
      updatedAt: "s",
      settled: true,
    });
  });
});

describe("items", () => {
  it("writes new and changed items only, never rewrites a settled one", () => {
    const stored = new Map([
      ["same", item("same")],
      ["moved", item("moved")],
      ["done", item("done", { status: "completed", settled: true })],
      [
        "unmappable",
        item("unmappable", { childJobId: null, status: "failed", settled: true, updatedAt: "t1" }),
      ],
    ]);
    const next = [
      item("same"),
      item("moved", { status: "completed", settled: true }),
      item("done", { status: "completed", settled: true, updatedAt: "later" }),
      // The batch's time moved, which an unmappable file's follows: not a reason to rewrite it.
      item("unmappable", { childJobId: null, status: "failed", settled: true, updatedAt: "t2" }),
      item("new"),
    ];
    expect(changedItems(next, stored).map((i) => i.itemId)).toEqual(["moved", "new"]);
  });

  it("lists at most MAX_FAILED_ITEMS_LISTED failed items, stored and fresh merged by id", () => {
    const stored = Array.from({ length: 15 }, (_, i) => item(`s${i}`, { status: "failed" }));
    const fresh = [
      item("s0", { status: "completed" }),
      ...Array.from({ length: 10 }, (_, i) => item(`f${i}`, { status: "failed" })),
    ];
    const merged = mergeItems(stored, fresh);
    expect(merged).toHaveLength(25);
    const listed = failedItems(merged);
    expect(listed).toHaveLength(MAX_FAILED_ITEMS_LISTED);
    expect(listed.map((i) => i.itemId)).not.toContain("s0");
  });
});

describe("readBatch (v2)", () => {
  const batch = (status: string): Batch => ({
    id: "bat-1",
    status,
    config: { job: { type: "parse_v2" } },
    updated_at: "2026-11-28T11:30:00Z",
    results: [
      { source_directory_file_id: "f1", job_reference: { id: "pjb-1", type: "parse_v2" } },
      { source_directory_file_id: "f2", error_message: "cannot map", job_reference: null },
    ],
  });

  it("takes what D1 knows of the children from the stored items", () => {
    const children = storedChildren([
      item("f1", { childJobId: "pjb-1", status: "completed", name: "a.pdf" }),
      item("f2", { childJobId: null, status: "failed" }),
    ]);
    expect([...children.keys()]).toEqual(["pjb-1"]);
    const { reading: read, items } = readBatch(batch("COMPLETED"), children, null, NOW);
    expect(read.settled).toBe(true);
    expect(read.observation).toMatchObject({ status: "completed", processedItems: 1, failedItems: 1 });
    expect(items.map((i) => [i.itemId, i.status, i.settled])).toEqual([
      ["f1", "completed", true],
      ["f2", "failed", true],
    ]);
  });

  it("starts the 24 h clock at the first terminal reading, and finishes a FAILED batch at its end", () => {
    const running = new Map([
      ["pjb-1", { status: "RUNNING", name: null, errorMessage: null, updatedAt: null }],
    ]);
    expect(readBatch(batch("FAILED"), running, null, NOW).reading.settled).toBe(false);
    expect(readBatch(batch("FAILED"), running, NOW - UNSETTLED_GRACE_MS + 1, NOW).reading.settled).toBe(
      false,
    );
    expect(readBatch(batch("FAILED"), running, NOW - UNSETTLED_GRACE_MS, NOW).reading.settled).toBe(true);
    expect(readBatch(batch("COMPLETED"), running, NOW - 2 * UNSETTLED_GRACE_MS, NOW).reading.settled).toBe(
      false,
    );
  });
});

describe("requestBudget", () => {
  it("hands out exactly its units", () => {
    const budget = requestBudget(2);
    expect([budget.available, budget.take(), budget.take(), budget.available, budget.take()]).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
    expect(budget.used).toBe(2);
  });
});
