/**
 * Whether the monitor works, as /healthz reports it, and what a poll adds to the counters of
 * GET /metrics. Pure functions over what D1 holds (db/metrics.ts reads it).
 */
import type { Database, Statement } from "../db/client";
import {
  COUNTERS,
  type CounterIncrement,
  counterStatements,
  type UpstreamAuth,
  upstreamAuthStatement,
} from "../db/metrics";
import type { PollOutcome } from "./decisions";

/** After the first tick, a gap longer than this means the cron trigger is not running. */
export const TICK_OVERDUE_MS = 3 * 60_000;

/** One entry of /healthz's `problems`. Only errors make it 503; warnings say what an operator should fix. */
export interface HealthProblem {
  code: "tick_overdue" | "upstream_key_refused" | "api_key_missing" | "callbacks_unsigned";
  severity: "error" | "warning";
  message: string;
}

export interface HealthInput {
  now: number;
  /** When the last tick ended; null before the first one. */
  lastTickAt: number | null;
  /** What the latest polls said of the API key (see upstreamAuthOf); null before any poll. */
  upstreamAuth: UpstreamAuth | null;
  apiKeySet: boolean;
  webhookSecretSet: boolean;
}

/** The problems, errors first. The monitor is healthy while none of them is an error. */
export function healthProblems(input: HealthInput): HealthProblem[] {
  const problems: HealthProblem[] = [];
  if (input.lastTickAt !== null && input.now - input.lastTickAt > TICK_OVERDUE_MS) {
    const minutes = Math.floor((input.now - input.lastTickAt) / 60_000);
    problems.push({
      code: "tick_overdue",
      severity: "error",
      message: `No tick has run for ${minutes} minutes; check the Worker's cron trigger.`,
    });
  }
  if (input.upstreamAuth === "refused") {
    problems.push({
      code: "upstream_key_refused",
      severity: "error",
      message:
        "LlamaCloud refused the API key (HTTP 401/403) on the latest poll and no poll has succeeded since; check LLAMA_CLOUD_API_KEY.",
    });
  }
  if (!input.apiKeySet) {
    problems.push({
      code: "api_key_missing",
      severity: "warning",
      message: "LLAMA_CLOUD_API_KEY is not set: no job can be polled.",
    });
  }
  if (!input.webhookSecretSet) {
    problems.push({
      code: "callbacks_unsigned",
      severity: "warning",
      message:
        "LLAMA_CLOUD_WEBHOOK_SECRET is not set: anyone can post callbacks to /webhooks/llamacloud (they are rate-limited, but unsigned).",
    });
  }
  return problems;
}

/**
 * What polls add to the counters: one per status request, by outcome, and each failure by its kind.
 * Only polls that asked LlamaCloud count (a poll skipped by a 429 pause made no request).
 */
export function pollIncrements(outcomes: Pick<PollOutcome, "snapshot" | "failure">[]): CounterIncrement[] {
  return outcomes.flatMap((outcome): CounterIncrement[] => {
    if (outcome.failure !== null) {
      return [
        { name: COUNTERS.polls, label: "failed", by: 1 },
        { name: COUNTERS.pollFailures, label: outcome.failure, by: 1 },
      ];
    }
    return [{ name: COUNTERS.polls, label: outcome.snapshot !== null ? "changed" : "unchanged", by: 1 }];
  });
}

/**
 * What a batch of polls says of the API key: refused when one got 401/403 and none succeeded (a key
 * refused only for some projects, while others poll fine, is not a broken monitor); accepted when
 * one succeeded; nothing when the polls only failed otherwise.
 */
export function upstreamAuthOf(outcomes: Pick<PollOutcome, "failure">[]): UpstreamAuth | null {
  if (outcomes.some((o) => o.failure === null)) return "accepted";
  if (outcomes.some((o) => o.failure === "unauthorized")) return "refused";
  return null;
}

/**
 * The writes polls add to their own batch for /metrics and /healthz: the poll counters, and what they
 * said of the API key. Only polls that asked LlamaCloud belong here (not one held back by a 429 pause).
 */
export function pollCountStatements(
  db: Database,
  outcomes: Pick<PollOutcome, "snapshot" | "failure">[],
  now: number,
): Statement[] {
  const auth = upstreamAuthOf(outcomes);
  return [
    ...counterStatements(db, pollIncrements(outcomes), now),
    ...(auth === null ? [] : [upstreamAuthStatement(db, auth, now)]),
  ];
}
