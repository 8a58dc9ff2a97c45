/**
 * What a LlamaCloud callback makes the monitor do. A callback is only a hint that something changed:
 * the job it names is polled (the status API stays the truth), and a repeat does nothing.
 */
import type { Config } from "../config";
import { callbacksSinceQuery, recordInboundStatement } from "../db/callbacks";
import { makeDueStatement } from "../db/claims";
import type { Database } from "../db/client";
import { findJobStatement } from "../db/jobs";
import type { Callback } from "../upstream/callbacks";
import { pollOne } from "./poll";

/**
 * Callbacks poll at once only while no more than this many arrived in the last minute; past that the
 * job is made due for the next tick. A flood of callbacks (or forged ones, without a signing secret)
 * must not turn into a flood of upstream requests and a 429 that pauses every job.
 */
export const CALLBACK_POLLS_PER_MINUTE = 60;

/**
 * poll: the job named is polled before the callback is answered; due: it is left for the next tick;
 * all_due: the callback named no tracked job, so every active job is due; none: a repeated event_id.
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
  /** A poll ran and wrote its outcome (and any events it raised, whose first attempts are the caller's). */
  polled: boolean;
}

export async function handleCallback(
  db: Database,
  config: Config,
  callback: Callback,
  now: number,
): Promise<CallbackOutcome> {
  // One round trip: remember the event id (the dedupe), look up the job it names, count the minute's callbacks.
  const [inserted, named, recent] = await db.batch([
    recordInboundStatement(db, { ...callback, now }),
    findJobStatement(db, callback.jobId ?? ""),
    callbacksSinceQuery(db, now - 60_000),
  ]);
  const action = callbackAction({
    repeated: inserted.length === 0,
    namesTrackedJob: named.length > 0,
    lastMinute: recent[0]?.n ?? 0,
  });
  if (action === "poll" && callback.jobId !== null) return pollNamedJob(db, config, callback.jobId, now);
  if (action === "due" && callback.jobId !== null) await makeDueStatement(db, now, callback.jobId);
  if (action === "all_due") await makeDueStatement(db, now);
  return { action, polled: false };
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
): Promise<CallbackOutcome> {
  try {
    const result = await pollOne(db, config, jobId, { source: "webhook", now });
    if (result.kind === "polled") return { action: "poll", polled: true };
    if (result.kind === "not_found") return { action: "poll", polled: false };
  } catch (error) {
    console.error(JSON.stringify({ event: "callback_poll_error", job_id: jobId, message: String(error) }));
  }
  // Another invocation holds the job, or the poll itself broke: the next tick polls it instead.
  await makeDueStatement(db, Date.now(), jobId);
  return { action: "due", polled: false };
}
