/**
 * What a LlamaCloud callback makes the monitor do. A callback is only a hint that something changed:
 * the job it names is polled (the status API stays the truth), and a repeat does nothing.
 */
import type { Config } from "../config";
import {
  callbacksSinceQuery,
  parentOfChildQuery,
  recordInboundStatement,
  recordUnsignedStatement,
  seenStatement,
  takeAllDueStatement,
} from "../db/callbacks";
import { makeDueStatement } from "../db/claims";
import type { Database, Statement } from "../db/client";
import { findJobStatement } from "../db/jobs";
import type { Callback } from "../upstream/callbacks";
import type { InvocationBudget } from "./budget";
import { pollOne } from "./poll";

/**
 * Callbacks poll at once only while no more than this many arrived in the last minute; past that the
 * job is made due for the next tick. A flood of callbacks (or forged ones, without a signing secret)
 * must not turn into a flood of upstream requests and a 429 that pauses every job.
 */
export const CALLBACK_POLLS_PER_MINUTE = 60;
/**
 * Unsigned callbacks naming no tracked job make every active job due at most this often: anyone can
 * send them, and each one would otherwise undo every job's backoff.
 */
export const UNSIGNED_ALL_DUE_EVERY_MS = 60_000;

/**
 * poll: the job named is polled before the callback is answered; due: it is left for the next tick;
 * all_due: the callback named no tracked job, so every active job is due; none: nothing to do (a
 * repeated event_id, or an unsigned callback naming no tracked job within a minute of the last one
 * that made every job due).
 */
export type CallbackAction = "poll" | "due" | "all_due" | "none";

export function callbackAction(callback: {
  repeated: boolean;
  namesTrackedJob: boolean;
  /** Callbacks received in the last minute, this one included. */
  lastMinute: number;
}): CallbackAction {
  if (callback.repeated) return "none";
  if (!callback.namesTrackedJob) return "all_due";
  return callback.lastMinute > CALLBACK_POLLS_PER_MINUTE ? "due" : "poll";
}

export interface CallbackOutcome {
  action: CallbackAction;
  /** The event id was seen before: the callback had no effect. */
  repeated: boolean;
  /** The tracked job the callback concerns: the one it names, or the v2 batch of the child it names. */
  jobId: string | null;
  /** A poll ran and wrote its outcome (and any events it raised, whose first attempts are the caller's). */
  polled: boolean;
}

/**
 * `signed`: the callback passed the LC-Signature check (a secret is set). Unsigned callbacks are
 * stored only when they name a tracked job and the minute's limit is not reached (see
 * recordUnsignedStatement), and make every job due at most once per UNSIGNED_ALL_DUE_EVERY_MS.
 * What a poll costs is charged to the route's `budget` (routeBudget), for its first attempts.
 */
export async function handleCallback(
  db: Database,
  config: Config,
  callback: Callback & { signed: boolean },
  now: number,
  budget: InvocationBudget,
): Promise<CallbackOutcome> {
  const record = { ...callback, now };
  const named = callback.jobId ?? "";
  // One round trip: was it seen, what it names, the minute's count, and remembering it (the dedupe).
  const batch = [
    seenStatement(db, callback.eventId),
    findJobStatement(db, named),
    parentOfChildQuery(db, named),
    callbacksSinceQuery(db, now - 60_000),
    callback.signed
      ? recordInboundStatement(db, record)
      : recordUnsignedStatement(db, record, CALLBACK_POLLS_PER_MINUTE),
  ] as const;
  const [seen, job, parent, recent, inserted] = await db.batch(batch);
  budget.chargeQueries(budget.queryCost(batch.length, 1));
  const jobId = job[0]?.jobId ?? parent[0]?.jobId ?? null;
  // A signed repeat racing this one is caught by the insert; an unsigned one may act twice (harmless).
  const repeated = seen.length > 0 || (callback.signed && inserted.length === 0);
  const action = callbackAction({
    repeated,
    namesTrackedJob: jobId !== null,
    lastMinute: (recent[0]?.n ?? 0) + 1,
  });
  const outcome = { action, repeated, jobId, polled: false };
  if (action === "poll" && jobId !== null)
    return { ...outcome, ...(await pollNamedJob(db, config, jobId, now, budget)) };
  if (action === "due" && jobId !== null) await runCounted(db, budget, makeDueStatement(db, now, jobId));
  if (action === "all_due") {
    if (!callback.signed) {
      const taken = await runCounted(
        db,
        budget,
        takeAllDueStatement(db, { now, everyMs: UNSIGNED_ALL_DUE_EVERY_MS }),
      );
      if ((taken as unknown[]).length === 0) return { ...outcome, action: "none" };
    }
    await runCounted(db, budget, makeDueStatement(db, now));
  }
  return outcome;
}

/** One statement in a round trip of its own, charged to the route's budget like the callback's others. */
async function runCounted(db: Database, budget: InvocationBudget, statement: Statement): Promise<unknown> {
  const [rows] = await db.batch([statement]);
  budget.chargeQueries(budget.queryCost(1, 1));
  return rows;
}

/**
 * Polls the job before the callback is answered, so the snapshot it brings is on record when the
 * caller sees the 202. The lease makes concurrent callbacks for one job a single poll, and a 429
 * pauses callback polls like every other.
 */
async function pollNamedJob(
  db: Database,
  config: Config,
  jobId: string,
  now: number,
  budget: InvocationBudget,
): Promise<Pick<CallbackOutcome, "action" | "polled">> {
  try {
    const result = await pollOne(db, config, jobId, { source: "webhook", now, budget });
    if (result.kind === "polled") return { action: "poll", polled: true };
    if (result.kind === "not_found") return { action: "poll", polled: false };
  } catch (error) {
    console.error(JSON.stringify({ event: "callback_poll_error", job_id: jobId, message: String(error) }));
  }
  // Another invocation holds the job, or the poll itself broke: the next tick polls it instead.
  await runCounted(db, budget, makeDueStatement(db, Date.now(), jobId));
  return { action: "due", polled: false };
}
