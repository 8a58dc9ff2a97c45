/**
 * Discovery (README "Watches"), as pure functions: which lists a watch's scan reads, where a pass
 * over them resumes, which listed jobs are new, and what a scan changes on its watch. The runner that
 * makes the requests is ./scan.ts.
 *
 * A *pass* reads every list of the watch's plan once; a *scan* (one tick) reads at most
 * MAX_PAGES_PER_SCAN pages of it, so a big project's pass spans several scans (the cursor).
 */
import type { WatchChanges } from "../db/watches";
import type { Api } from "../model";
import type { UpstreamFailure } from "../upstream/failures";
import type { ListedJob } from "../upstream/v1-list";
import { isTerminal } from "./decisions";
import { retryAfterFailureSeconds } from "./intervals";

/** Jobs or batches asked for per list request (the most v2 answers per page). */
export const LIST_PAGE_SIZE = 100;
/** List requests one scan of one watch makes at most. */
export const MAX_PAGES_PER_SCAN = 10;
/** Jobs one scan of one watch starts tracking at most; the rest are found by the next scan. */
export const MAX_NEW_JOBS_PER_SCAN = 50;
/** v1 statuses that are not terminal (see decisions.ts TERMINAL_STATUSES): each is listed every pass. */
export const V1_ACTIVE_STATUSES = ["pending", "dispatched", "running"] as const;
/** v2 batch statuses that are not terminal: the first pass lists each (the list takes one status). */
export const V2_ACTIVE_STATUSES = ["PENDING", "RUNNING", "THROTTLED"] as const;
/**
 * Later v2 passes list batches created on or after the previous pass's start minus this: it covers
 * LlamaCloud's clock running behind ours and a batch that shows up in the list a while after its
 * `created_at`. Re-listed batches cost nothing but a primary-key lookup.
 */
export const V2_CREATED_MARGIN_MS = 10 * 60_000;
/**
 * A watch is due again this fraction of the poll interval early, so ticks an interval apart (a cron
 * that fires a little late, then on time) never skip a scan: a new batch is found within two ticks.
 */
export const SCAN_EARLY_FRACTION = 0.1;

/**
 * One list of a pass. `previousPassAt` (later v2 passes): when the previous pass began; a batch
 * already over that was created before it is one the watch found there before, or passed over as
 * finished when it was created: not new.
 */
export type ListStep =
  | { api: "v1"; status: string }
  | { api: "v2"; status: string | null; createdOnOrAfter: number | null; previousPassAt: number | null };

/**
 * The lists of a pass. v1 has no creation filter, so every pass lists each active status. v2's first
 * pass takes the non-terminal batches by status; once one pass has completed, later ones list every
 * batch created since it started (minus the margin), whatever its status.
 */
export function scanPlan(watch: { apis: readonly Api[]; v2Since: number | null }): ListStep[] {
  const steps: ListStep[] = [];
  if (watch.apis.includes("v1")) {
    for (const status of V1_ACTIVE_STATUSES) steps.push({ api: "v1", status });
  }
  if (watch.apis.includes("v2")) {
    if (watch.v2Since === null) {
      for (const status of V2_ACTIVE_STATUSES) {
        steps.push({ api: "v2", status, createdOnOrAfter: null, previousPassAt: null });
      }
    } else {
      const since = watch.v2Since;
      steps.push({
        api: "v2",
        status: null,
        createdOnOrAfter: since - V2_CREATED_MARGIN_MS,
        previousPassAt: since,
      });
    }
  }
  return steps;
}

/** Where a pass stands: the list (`step` of the plan) and the page within it. */
export interface ScanCursor {
  step: number;
  /** v1: the offset of the next page. */
  offset: number;
  /** v2: the token of the next page; null for the first. */
  pageToken: string | null;
  /** When the pass began: a completed pass's start is the next v2 pass's `created_at_on_or_after`. */
  passStartedAt: number;
}

export function startOfPass(now: number): ScanCursor {
  return { step: 0, offset: 0, pageToken: null, passStartedAt: now };
}

/** The stored cursor, or null (a new pass) when there is none or it does not fit the plan. */
export function readCursor(text: string | null, planLength: number): ScanCursor | null {
  if (!text) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!value || typeof value !== "object") return null;
  const { step, offset, pageToken, passStartedAt } = value as Record<string, unknown>;
  const count = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;
  if (!count(step) || step >= planLength || !count(offset) || !count(passStartedAt)) return null;
  if (pageToken !== null && typeof pageToken !== "string") return null;
  return { step, offset, pageToken, passStartedAt };
}

export type ListRequest =
  | { api: "v1"; status: string; limit: number; offset: number }
  | {
      api: "v2";
      status: string | null;
      createdOnOrAfter: string | null;
      pageSize: number;
      pageToken: string | null;
    };

/** The request for the page the cursor points at. */
export function pageRequest(step: ListStep, cursor: ScanCursor): ListRequest {
  if (step.api === "v1")
    return { api: "v1", status: step.status, limit: LIST_PAGE_SIZE, offset: cursor.offset };
  return {
    api: "v2",
    status: step.status,
    createdOnOrAfter: step.createdOnOrAfter === null ? null : new Date(step.createdOnOrAfter).toISOString(),
    pageSize: LIST_PAGE_SIZE,
    pageToken: cursor.pageToken,
  };
}

/** What a page says about the rest of its list. */
export type PageEnd =
  | { api: "v1"; listed: number; totalSize: number | null }
  | { api: "v2"; nextPageToken: string | null };

/**
 * The cursor after a page: the next page of the same list, else the first of the next list, else
 * null (the pass is over). A v1 list goes on while `total_size` says there is more (or, without it,
 * while pages come back full); an empty page always ends it, so a wrong total cannot loop.
 */
export function afterPage(cursor: ScanCursor, planLength: number, end: PageEnd): ScanCursor | null {
  if (end.api === "v1" && end.listed > 0) {
    const offset = cursor.offset + end.listed;
    const more = end.totalSize === null ? end.listed >= LIST_PAGE_SIZE : offset < end.totalSize;
    if (more) return { ...cursor, offset };
  }
  if (end.api === "v2" && end.nextPageToken !== null) return { ...cursor, pageToken: end.nextPageToken };
  if (cursor.step + 1 >= planLength) return null;
  return { step: cursor.step + 1, offset: 0, pageToken: null, passStartedAt: cursor.passStartedAt };
}

/** One page a scan read, with the cursor that asked for it (where a scan resumes to see it again). */
export interface ListedPage {
  api: Api;
  jobs: ListedJob[];
  cursorBefore: ScanCursor;
  /** The step's `previousPassAt` (see ListStep). */
  previousPassAt: number | null;
}

export interface NewJob {
  id: string;
  api: Api;
  /** The page it was listed on: if it does not get tracked this scan, the next one resumes there. */
  cursorBefore: ScanCursor;
}

/**
 * The listed jobs to start tracking, in list order: not known (tracked, or deleted by hand), of the
 * watch's project (an answer naming another project is not trusted), not over since before the
 * previous pass (see ListStep), each once, at most `limit`. `resumeAt` is the page of the first new
 * job left over by the limit, if any.
 */
export function chooseNewJobs(
  pages: readonly ListedPage[],
  known: ReadonlySet<string>,
  opts: { projectId: string; limit: number },
): { picks: NewJob[]; resumeAt: ScanCursor | null } {
  const picks: NewJob[] = [];
  const seen = new Set<string>();
  for (const page of pages) {
    for (const job of page.jobs) {
      if (known.has(job.id) || seen.has(job.id)) continue;
      if (job.projectId !== null && job.projectId !== opts.projectId) continue;
      if (wasThereBefore(job, page.previousPassAt)) continue;
      if (picks.length >= opts.limit) return { picks, resumeAt: page.cursorBefore };
      seen.add(job.id);
      picks.push({ id: job.id, api: page.api, cursorBefore: page.cursorBefore });
    }
  }
  return { picks, resumeAt: null };
}

/** Over already, and created before the previous pass began (an unreadable time counts as new). */
function wasThereBefore(job: ListedJob, previousPassAt: number | null): boolean {
  if (previousPassAt === null || !isTerminal(job.status?.toLowerCase() ?? null)) return false;
  const created = Date.parse(job.createdAt ?? "");
  return Number.isFinite(created) && created < previousPassAt;
}

/** How a scan ended. */
export type ScanEnd =
  | { kind: "complete" }
  /** A bound (pages, budget, time, jobs per scan) stopped it: the pass resumes at `cursor`. */
  | { kind: "bounded"; cursor: ScanCursor }
  /** A list request failed: nothing after it was read, the pass resumes at `cursor`. */
  | { kind: "failed"; cursor: ScanCursor; failure: UpstreamFailure };

/** The scan's end once its tracking is done: new jobs it left untracked make it resume at their page. */
export function withLeftovers(end: ScanEnd, resumeAt: ScanCursor | null): ScanEnd {
  if (resumeAt === null) return end;
  return end.kind === "failed" ? { ...end, cursor: resumeAt } : { kind: "bounded", cursor: resumeAt };
}

/**
 * What a scan changes on its watch. Answered scans are due again a poll interval later and clear the
 * error; a failed one records it and backs off as a failed poll does (a 429 waits for its pause and
 * is not the watch's fault). Only a completed pass moves the v2 creation mark.
 */
export function scanOutcome(
  watch: { consecutiveFailures: number },
  scan: { end: ScanEnd; passStartedAt: number; plan: readonly ListStep[]; jobsFound: number },
  now: number,
  pollIntervalSeconds: number,
): WatchChanges {
  const { end } = scan;
  if (end.kind === "failed") {
    const { failure } = end;
    const rateLimited = failure.kind === "rate_limited";
    const failures = rateLimited ? watch.consecutiveFailures : watch.consecutiveFailures + 1;
    const retryAt = rateLimited
      ? (failure.retryAt ?? now + pollIntervalSeconds * 1000)
      : now + retryAfterFailureSeconds(failure.kind, failures, pollIntervalSeconds) * 1000;
    return {
      nextScanAt: retryAt,
      consecutiveFailures: failures,
      lastErrorCode: failure.kind,
      lastErrorMessage: failure.message,
      lastErrorAt: now,
      scanCursor: JSON.stringify(end.cursor),
      jobsFound: scan.jobsFound,
    };
  }
  const changes: WatchChanges = {
    lastScanAt: now,
    nextScanAt: now + Math.round(pollIntervalSeconds * 1000 * (1 - SCAN_EARLY_FRACTION)),
    consecutiveFailures: 0,
    lastErrorCode: null,
    lastErrorMessage: null,
    lastErrorAt: null,
    scanCursor: end.kind === "bounded" ? JSON.stringify(end.cursor) : null,
    jobsFound: scan.jobsFound,
  };
  if (end.kind === "complete" && scan.plan.some((step) => step.api === "v2")) {
    changes.v2Since = scan.passStartedAt;
  }
  return changes;
}
