/**
 * The producer side of polling through a Cloudflare Queue (README "Polling through a Cloudflare
 * Queue"): with `POLL_QUEUE` bound, the tick leases the due jobs as it would to poll them and sends
 * their ids with its lease token, many jobs a message; the consumer (./consume.ts) polls them.
 * Message building is pure; `handDueJobs` is the one function with I/O.
 */
import { z } from "zod";
import type { Bindings, Config } from "../config";
import { runGroups } from "../db/batch";
import { releaseJobsStatements } from "../db/claims";
import type { Database } from "../db/client";
import { claimDueJobIds } from "../db/handoff";

/** Jobs a message carries at most: a queue operation is charged per message, not per job. */
export const JOBS_PER_MESSAGE = 100;
/** Jobs one tick hands off at most (one `sendBatch` of 50 full messages). */
export const MAX_JOBS_HANDED_PER_TICK = 5_000;

// Cloudflare Queues limits (TOOLCHAIN.md), with room left for the platform's own framing.
const MAX_MESSAGE_BYTES = 120_000;
const MAX_SEND_BYTES = 240_000;
const MAX_MESSAGES_PER_SEND = 100;
/** Job ids are upstream ids (a few dozen characters); the cap only keeps a message's size bounded. */
const MAX_JOB_ID_LENGTH = 512;

export const pollMessageSchema = z.object({
  /** The lease token the tick claimed the jobs with. */
  token: z.string().min(1).max(100),
  /** The tick's time (ms): the consumer never polls "before" the tick that sent the message. */
  at: z.number().int().nonnegative(),
  jobIds: z.array(z.string().min(1).max(MAX_JOB_ID_LENGTH)).min(1),
});
export type PollMessage = z.infer<typeof pollMessageSchema>;

const encoder = new TextEncoder();
const bytes = (value: unknown) => encoder.encode(JSON.stringify(value)).length;

/**
 * The claimed jobs as messages, in claim order (oldest due first): `perMessage` jobs each, fewer
 * when their ids would pass a message's size limit.
 */
export function pollMessages(
  jobIds: readonly string[],
  lease: { token: string; at: number },
  perMessage: number = JOBS_PER_MESSAGE,
): PollMessage[] {
  const messages: PollMessage[] = [];
  const empty = bytes({ ...lease, jobIds: [] });
  let current: string[] = [];
  let size = empty;
  for (const jobId of jobIds) {
    const cost = bytes(jobId) + 1;
    if (current.length > 0 && (current.length >= perMessage || size + cost > MAX_MESSAGE_BYTES)) {
      messages.push({ ...lease, jobIds: current });
      current = [];
      size = empty;
    }
    current.push(jobId);
    size += cost;
  }
  if (current.length > 0) messages.push({ ...lease, jobIds: current });
  return messages;
}

/** Messages grouped for `sendBatch`: at most 100 a call and 240 KB together. */
export function sendBatches(messages: readonly PollMessage[]): PollMessage[][] {
  const batches: PollMessage[][] = [];
  let current: PollMessage[] = [];
  let size = 0;
  for (const message of messages) {
    const cost = bytes(message);
    if (current.length > 0 && (current.length >= MAX_MESSAGES_PER_SEND || size + cost > MAX_SEND_BYTES)) {
      batches.push(current);
      current = [];
      size = 0;
    }
    current.push(message);
    size += cost;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * Jobs a message carries on a plan that counts every D1 statement (Free: 50 an invocation). Measured
 * here: a Free consumer invocation polls 30 of 40 unchanged jobs, and 11 of 12 when half of them
 * changed, before its statements run out (test/queue/consume.test.ts holds it to 10 with half
 * changed); what it cannot poll is given back and handed off again, at the cost of another message.
 */
export const JOBS_PER_MESSAGE_COUNTING_STATEMENTS = 10;

/**
 * Jobs a message carries for this deployment: never more than one consumer invocation can poll, so a
 * message (the consumer takes one at a time, see wrangler.toml) is polled whole and nothing is
 * handed off twice for want of budget.
 */
export function jobsPerMessage(config: Config): number {
  const statements =
    config.planLimits.queryUnit === "statement" ? JOBS_PER_MESSAGE_COUNTING_STATEMENTS : JOBS_PER_MESSAGE;
  return Math.max(1, Math.min(JOBS_PER_MESSAGE, config.maxPollsPerTick, statements));
}

export interface Handoff {
  /** Jobs claimed and sent. */
  jobs: number;
  messages: number;
  /** `sendBatch` calls made (each one subrequest). */
  sends: number;
  /** D1 statements and round trips the hand-off made (the claim, and the give-back of a failed send). */
  statements: number;
  roundTrips: number;
}

/**
 * Claims the due jobs (one D1 round trip) and sends them to the queue. Jobs whose send failed are
 * given back at once (one more round trip) rather than waiting for their lease to end.
 */
export async function handDueJobs(
  db: Database,
  queue: Queue,
  config: Config,
  opts: { now: number; token: string; leaseUntil: number },
): Promise<Handoff> {
  const jobIds = await claimDueJobIds(db, { ...opts, limit: MAX_JOBS_HANDED_PER_TICK });
  const batches = sendBatches(
    pollMessages(jobIds, { token: opts.token, at: opts.now }, jobsPerMessage(config)),
  );
  const handoff: Handoff = { jobs: 0, messages: 0, sends: 0, statements: 1, roundTrips: 1 };
  for (const [index, batch] of batches.entries()) {
    try {
      handoff.sends++;
      await queue.sendBatch(batch.map((body) => ({ body, contentType: "json" as const })));
    } catch (error) {
      const unsent = batches.slice(index).flatMap((b) => b.flatMap((m) => m.jobIds));
      console.error(
        JSON.stringify({ event: "queue_send_error", jobs: unsent.length, message: String(error) }),
      );
      const release = releaseJobsStatements(db, unsent, opts.token);
      handoff.roundTrips += await runGroups(db, [release]);
      handoff.statements += release.length;
      break;
    }
    handoff.messages += batch.length;
    handoff.jobs += batch.reduce((n, m) => n + m.jobIds.length, 0);
  }
  return handoff;
}

/** The queue polls go through, when one is bound (without it the tick polls by itself). */
export function pollQueue(env: Bindings): Queue | undefined {
  return env.POLL_QUEUE;
}
