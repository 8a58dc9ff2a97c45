import { describe, expect, it } from "vitest";
import {
  type ChildState,
  deriveCounts,
  isBatchFinished,
  observeBatch,
  planChildPages,
  UNSETTLED_GRACE_MS,
} from "../../src/monitor/v2";
import type { Batch, BatchResultEntry } from "../../src/upstream/v2";

const now = Date.parse("2026-11-28T12:00:00Z");

function mapped(file: string, child: string, type: string | null = "parse_v2"): BatchResultEntry {
  return { source_directory_file_id: file, job_reference: { id: child, type } };
}

/** Files f1…fN, each mapped to its own parse job, pjb-1…pjb-N. */
function mappedFiles(n: number): BatchResultEntry[] {
  return Array.from({ length: n }, (_, i) => mapped(`f${i + 1}`, `pjb-${i + 1}`));
}

function unmappable(file: string, message = "Unsupported file type"): BatchResultEntry {
  return { source_directory_file_id: file, error_message: message, job_reference: null };
}

function batch(overrides: Partial<Batch> = {}): Batch {
  return {
    id: "bat-1",
    status: "RUNNING",
    config: { job: { type: "parse_v2", configuration_id: "cfg-1" } },
    project_id: "prj-1",
    source_directory_id: "dir-1",
    created_at: "2026-11-28T11:00:00Z",
    updated_at: "2026-11-28T11:30:00Z",
    results: [],
    ...overrides,
  };
}

function child(status: string, more: Partial<ChildState> = {}): ChildState {
  return { status, name: null, errorMessage: null, updatedAt: null, ...more };
}

function known(entries: Record<string, string>): Map<string, ChildState> {
  return new Map(Object.entries(entries).map(([id, status]) => [id, child(status)]));
}

describe("deriveCounts", () => {
  it("knows nothing while results is null", () => {
    expect(deriveCounts(null, new Map())).toEqual({
      totalItems: null,
      processedItems: null,
      failedItems: null,
      skippedItems: null,
      progressPercentage: null,
    });
    expect(deriveCounts(undefined, new Map()).totalItems).toBeNull();
  });

  it("has no progress for an empty results list", () => {
    expect(deriveCounts([], new Map())).toEqual({
      totalItems: 0,
      processedItems: 0,
      failedItems: 0,
      skippedItems: 0,
      progressPercentage: null,
    });
  });

  it("counts completed, failed (with unmappable files) and cancelled children, case-insensitively", () => {
    const results = [...mappedFiles(6), unmappable("f7")];
    const children = known({
      "pjb-1": "COMPLETED",
      "pjb-2": "completed",
      "pjb-3": "FAILED",
      "pjb-4": "CANCELLED",
      "pjb-5": "THROTTLED",
      // pjb-6 is not known yet
    });
    expect(deriveCounts(results, children)).toEqual({
      totalItems: 7,
      processedItems: 2,
      failedItems: 2,
      skippedItems: 1,
      progressPercentage: 71.43,
    });
  });

  it("rounds progress to two decimals", () => {
    const results = mappedFiles(3);
    expect(deriveCounts(results, known({ "pjb-1": "COMPLETED" })).progressPercentage).toBe(33.33);
    expect(deriveCounts(results, known({ "pjb-1": "COMPLETED", "pjb-2": "FAILED" })).progressPercentage).toBe(
      66.67,
    );
  });

  it("does not count an unknown status as done", () => {
    const results = [mapped("f1", "pjb-1")];
    expect(deriveCounts(results, known({ "pjb-1": "ARCHIVED" }))).toMatchObject({
      processedItems: 0,
      failedItems: 0,
      skippedItems: 0,
      progressPercentage: 0,
    });
  });
});

describe("isBatchFinished", () => {
  const results = [...mappedFiles(2), unmappable("f3")];

  it("is not finished while the batch itself runs, even with every child settled", () => {
    for (const status of ["PENDING", "RUNNING", "THROTTLED", "SOMETHING_NEW"]) {
      const children = known({ "pjb-1": "COMPLETED", "pjb-2": "FAILED" });
      expect(isBatchFinished(batch({ status, results }), children, null, now)).toBe(false);
    }
  });

  it("waits for the children of a COMPLETED batch", () => {
    const completed = batch({ status: "COMPLETED", results });
    expect(isBatchFinished(completed, known({ "pjb-1": "COMPLETED", "pjb-2": "RUNNING" }), null, now)).toBe(
      false,
    );
    expect(isBatchFinished(completed, known({ "pjb-1": "COMPLETED" }), null, now)).toBe(false);
    expect(isBatchFinished(completed, known({ "pjb-1": "COMPLETED", "pjb-2": "CANCELLED" }), null, now)).toBe(
      true,
    );
  });

  it("never gives up on the children of a COMPLETED batch", () => {
    const completed = batch({ status: "COMPLETED", results });
    const children = known({ "pjb-1": "RUNNING", "pjb-2": "RUNNING" });
    expect(isBatchFinished(completed, children, now - 30 * UNSETTLED_GRACE_MS, now)).toBe(false);
  });

  it("finishes a FAILED or CANCELLED batch 24 h after it was first seen so, settled or not", () => {
    for (const status of ["FAILED", "CANCELLED", "failed"]) {
      const ended = batch({ status, results });
      const children = known({ "pjb-1": "RUNNING" });
      expect(isBatchFinished(ended, children, null, now)).toBe(false);
      expect(isBatchFinished(ended, children, now - UNSETTLED_GRACE_MS + 1, now)).toBe(false);
      expect(isBatchFinished(ended, children, now - UNSETTLED_GRACE_MS, now)).toBe(true);
      expect(isBatchFinished(ended, known({ "pjb-1": "FAILED", "pjb-2": "CANCELLED" }), null, now)).toBe(
        true,
      );
    }
  });

  it("finishes a terminal batch without results or children at once", () => {
    expect(isBatchFinished(batch({ status: "FAILED", results: null }), new Map(), null, now)).toBe(true);
    expect(
      isBatchFinished(batch({ status: "COMPLETED", results: [unmappable("f1")] }), new Map(), null, now),
    ).toBe(true);
  });
});

describe("planChildPages", () => {
  it("asks for nothing while results is null or every child has settled", () => {
    expect(planChildPages(batch({ results: null }), new Map())).toEqual([]);
    const results = [mapped("f1", "pjb-1"), unmappable("f2")];
    expect(planChildPages(batch({ results }), known({ "pjb-1": "failed" }))).toEqual([]);
  });

  it("groups by type, parse first, in results order, each id once, never a settled child", () => {
    const results = [
      mapped("f1", "ejb-1", "extract_v2"),
      mapped("f2", "pjb-2"),
      mapped("f3", "pjb-1"),
      mapped("f4", "pjb-2"),
      mapped("f5", "pjb-3"),
      mapped("f6", "pjb-4", null), // the batch's own type
      unmappable("f7"),
      mapped("f8", "cjb-1", "classify_v2"), // a type batchwatch cannot read
    ];
    const children = known({ "pjb-3": "COMPLETED", "pjb-1": "RUNNING" });
    expect(planChildPages(batch({ results }), children)).toEqual([
      { type: "parse_v2", jobIds: ["pjb-2", "pjb-1", "pjb-4"] },
      { type: "extract_v2", jobIds: ["ejb-1"] },
    ]);
  });

  it("splits 250 unsettled children into pages of at most 100", () => {
    const results = Array.from({ length: 260 }, (_, i) => mapped(`f${i}`, `pjb-${i}`));
    const settled = known(
      Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`pjb-${i * 2}`, "COMPLETED"])),
    );
    const pages = planChildPages(batch({ results }), settled);
    expect(pages.map((page) => page.jobIds.length)).toEqual([100, 100, 50]);
    const asked = pages.flatMap((page) => page.jobIds);
    expect(new Set(asked).size).toBe(250);
    expect(asked.some((id) => settled.has(id))).toBe(false);
    expect(asked.slice(0, 3)).toEqual(["pjb-1", "pjb-3", "pjb-5"]);
  });
});

describe("observeBatch", () => {
  it("gives the v1 Observation and one item per results entry", () => {
    const results = [...mappedFiles(2), unmappable("f3", "Could not read file"), mapped("f4", "pjb-4")];
    const children = new Map<string, ChildState>([
      ["pjb-1", child("COMPLETED", { name: "a.pdf", updatedAt: "2026-11-28T11:40:00Z" })],
      [
        "pjb-2",
        child("FAILED", {
          name: "b.pdf",
          errorMessage: "Parse timed out",
          updatedAt: "2026-11-28T11:41:00Z",
        }),
      ],
    ]);
    const raw = batch({ status: "COMPLETED", results, quota: { left: 3 } });
    const seen = observeBatch(raw, children);
    expect(seen.observation).toEqual({
      status: "completed",
      totalItems: 4,
      processedItems: 1,
      failedItems: 2,
      skippedItems: 0,
      progressPercentage: 75,
      errorMessage: null,
      upstreamUpdatedAt: "2026-11-28T11:30:00Z",
    });
    expect(seen.jobType).toBe("parse_v2");
    expect(seen.items).toEqual([
      {
        itemId: "f1",
        childJobId: "pjb-1",
        childType: "parse_v2",
        name: "a.pdf",
        status: "completed",
        errorMessage: null,
        updatedAt: "2026-11-28T11:40:00Z",
        settled: true,
      },
      {
        itemId: "f2",
        childJobId: "pjb-2",
        childType: "parse_v2",
        name: "b.pdf",
        status: "failed",
        errorMessage: "Parse timed out",
        updatedAt: "2026-11-28T11:41:00Z",
        settled: true,
      },
      {
        itemId: "f3",
        childJobId: null,
        childType: null,
        name: null,
        status: "failed",
        errorMessage: "Could not read file",
        updatedAt: "2026-11-28T11:30:00Z",
        settled: true,
      },
      {
        itemId: "f4",
        childJobId: "pjb-4",
        childType: "parse_v2",
        name: null,
        status: "pending",
        errorMessage: null,
        updatedAt: null,
        settled: false,
      },
    ]);
    const upstream = JSON.parse(seen.upstreamJob);
    expect(upstream).not.toHaveProperty("results");
    expect(upstream).not.toHaveProperty("id");
    expect(upstream).toMatchObject({
      status: "COMPLETED",
      source_directory_id: "dir-1",
      quota: { left: 3 },
      progress_percentage: 75,
    });
  });

  it("has no counts and no items while the batch is still mapping", () => {
    const seen = observeBatch(
      batch({ status: "PENDING", results: null, config: null, updated_at: null }),
      new Map(),
    );
    expect(seen.observation).toMatchObject({
      status: "pending",
      totalItems: null,
      progressPercentage: null,
      upstreamUpdatedAt: null,
    });
    expect(seen.jobType).toBeNull();
    expect(seen.items).toEqual([]);
  });
});
