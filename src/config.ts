/**
 * Bindings as the Worker sees them: wrangler vars (strings) plus secrets, which `wrangler types`
 * cannot know about because they never appear in wrangler.toml.
 */
export type Bindings = Omit<
  Env,
  | "LLAMA_CLOUD_BASE_URL"
  | "PUBLIC_READ"
  | "ALLOW_HTTP_WEBHOOKS"
  | "POLL_INTERVAL_SECONDS"
  | "STALL_AFTER_MINUTES"
  | "HISTORY_RETENTION_DAYS"
  | "MAX_POLLS_PER_TICK"
  | "WORKERS_PLAN"
  | "POLL_SCHEDULE"
  | "PUBLIC_BASE_URL"
  // Secrets appear in the generated Env only when a local .dev.vars names them.
  | "LLAMA_CLOUD_API_KEY"
  | "ADMIN_TOKEN"
  | "READ_TOKEN"
  | "LLAMA_CLOUD_WEBHOOK_SECRET"
  // Bound only where polling goes through a queue (wrangler.toml, "Polling through a Cloudflare Queue").
  | "POLL_QUEUE"
> & {
  LLAMA_CLOUD_BASE_URL?: string;
  PUBLIC_READ?: string;
  ALLOW_HTTP_WEBHOOKS?: string;
  POLL_INTERVAL_SECONDS?: string;
  STALL_AFTER_MINUTES?: string;
  HISTORY_RETENTION_DAYS?: string;
  MAX_POLLS_PER_TICK?: string;
  WORKERS_PLAN?: string;
  POLL_SCHEDULE?: string;
  PUBLIC_BASE_URL?: string;
  LLAMA_CLOUD_API_KEY?: string;
  ADMIN_TOKEN?: string;
  READ_TOKEN?: string;
  LLAMA_CLOUD_WEBHOOK_SECRET?: string;
  POLL_QUEUE?: Queue;
};

export interface Config {
  llamaCloudApiKey: string | undefined;
  llamaCloudBaseUrl: string;
  adminToken: string | undefined;
  readToken: string | undefined;
  publicRead: boolean;
  webhookSecret: string | undefined;
  allowHttpWebhooks: boolean;
  pollIntervalSeconds: number;
  stallAfterMinutes: number;
  /** POLL_SCHEDULE: how the next poll of a successful answer is spaced (monitor/intervals.ts). */
  pollSchedule: PollSchedule;
  historyRetentionDays: number;
  /** WORKERS_PLAN: whose limits every invocation keeps to (README "Plans and limits"). */
  workersPlan: WorkersPlan;
  planLimits: PlanLimits;
  /** Upstream requests one invocation may start: MAX_POLLS_PER_TICK, else the plan's default. */
  maxPollsPerTick: number;
  /** Where people open batchwatch (no trailing slash), for links in chat messages; null when unset. */
  publicBaseUrl: string | null;
}

/**
 * POLL_SCHEDULE. "steady", the default: after a change the next poll is the base interval away, and
 * while nothing changes the interval grows up to ten minutes. "predictive" (opt-in): monitor/intervals.ts nextPollSeconds,
 * which spaces the polls of a job far from its predicted end and polls densely near it.
 */
export const POLL_SCHEDULES = ["steady", "predictive"] as const;
export type PollSchedule = (typeof POLL_SCHEDULES)[number];

export type WorkersPlan = "free" | "paid";

/** What one invocation may spend on a Workers plan (counted by monitor/budget.ts). */
export interface PlanLimits {
  /** Subrequests: upstream requests and delivery attempts together. */
  subrequests: number;
  /** Upstream requests by default (MAX_POLLS_PER_TICK overrides it); the rest is the deliveries'. */
  upstream: number;
  /** D1 queries. */
  queries: number;
  /**
   * What one D1 query is. Free: every statement, also inside a `db.batch` (Cloudflare's limits page
   * does not say how a batch counts against "queries per Worker invocation", so the stricter
   * reading). Paid: a round trip (a batch is one query, one subrequest to D1), the reading under
   * which its 1,000 queries can write a tick of 1,000 polls at all.
   */
  queryUnit: "statement" | "batch";
}

export const PLAN_LIMITS: Record<WorkersPlan, PlanLimits> = {
  // 40 upstream requests leave at least 10 subrequests for deliveries; D1's 50 statements are the
  // tighter limit (about 15 unchanged polls a tick, see the tick).
  free: { subrequests: 50, upstream: 40, queries: 50, queryUnit: "statement" },
  // 5,000: what 6 connections at 50 ms finish in the tick's 45 s of polling (about 5,400; a slower
  // upstream meets that deadline first), leaving half of the 10,000 subrequests for deliveries (200 a
  // tick) and discovery; the writes of 5,000 polls take about 60 of the 1,000 round trips.
  paid: { subrequests: 10_000, upstream: 5_000, queries: 1_000, queryUnit: "batch" },
};

/** WORKERS_PLAN in any case; anything but "free" is the default, "paid" (logged once when unknown). */
function workersPlan(value: string | undefined): WorkersPlan {
  return eitherOr("WORKERS_PLAN", value, "free", "paid");
}

const DEFAULT_BASE_URL = "https://api.cloud.llamaindex.ai";

/** An empty secret counts as unset: a blank ADMIN_TOKEN must never open writes. */
function secret(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** Values already warned about in this isolate: one warning each, not one per request. */
const warnedValues = new Set<string>();

/**
 * A var that chooses between two words, read as people write it: any case, stray spaces. Anything
 * but `chosen` counts as `fallback`; a value that is neither (nor blank) is logged once, so the
 * operator sees why.
 */
function eitherOr<C extends string, F extends string>(
  name: string,
  value: string | undefined,
  chosen: C,
  fallback: F,
): C | F {
  const normalized = value?.trim().toLowerCase() ?? "";
  if (normalized === chosen) return chosen;
  if (normalized !== fallback && normalized !== "" && !warnedValues.has(`${name}=${value}`)) {
    warnedValues.add(`${name}=${value}`);
    console.warn(
      JSON.stringify({
        event: "config_warning",
        message: `${name} is ${JSON.stringify(value?.slice(0, 40))}, which is neither "${chosen}" nor "${fallback}"; it counts as "${fallback}".`,
      }),
    );
  }
  return fallback;
}

/** A boolean var: "true"/"false"; anything else counts as false (a typo must not open reads). */
export function flag(name: string, value: string | undefined): boolean {
  return eitherOr(name, value, "true", "false") === "true";
}

/**
 * PUBLIC_BASE_URL trimmed and without trailing slashes. Anything but an http(s) URL is ignored (links
 * then use the origin a subscription was created through) rather than sent out as a broken link.
 */
function baseUrl(value: string | undefined): string | null {
  const trimmed = value?.trim().replace(/\/+$/, "");
  if (!trimmed || !URL.canParse(trimmed)) return null;
  return /^https?:$/.test(new URL(trimmed).protocol) ? trimmed : null;
}

/**
 * POLL_SCHEDULE in any case, trimmed; anything but "predictive" is the default "steady" (a typo keeps
 * the documented schedule), logged once like a boolean typo.
 */
function pollSchedule(value: string | undefined): PollSchedule {
  return eitherOr("POLL_SCHEDULE", value, "predictive", "steady");
}

/** A malformed number falls back to its default rather than taking the whole monitor down. */
function positiveNumber(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

export function readConfig(env: Bindings): Config {
  const plan = workersPlan(env.WORKERS_PLAN);
  const limits = PLAN_LIMITS[plan];
  return {
    llamaCloudApiKey: secret(env.LLAMA_CLOUD_API_KEY),
    llamaCloudBaseUrl: (env.LLAMA_CLOUD_BASE_URL?.trim() || DEFAULT_BASE_URL).replace(/\/+$/, ""),
    adminToken: secret(env.ADMIN_TOKEN),
    readToken: secret(env.READ_TOKEN),
    publicRead: flag("PUBLIC_READ", env.PUBLIC_READ),
    webhookSecret: secret(env.LLAMA_CLOUD_WEBHOOK_SECRET),
    allowHttpWebhooks: flag("ALLOW_HTTP_WEBHOOKS", env.ALLOW_HTTP_WEBHOOKS),
    pollIntervalSeconds: positiveNumber(env.POLL_INTERVAL_SECONDS, 60),
    stallAfterMinutes: positiveNumber(env.STALL_AFTER_MINUTES, 30),
    pollSchedule: pollSchedule(env.POLL_SCHEDULE),
    historyRetentionDays: positiveNumber(env.HISTORY_RETENTION_DAYS, 90),
    workersPlan: plan,
    planLimits: limits,
    // Floored before the check: "0.5" must fall back to the default, not stop every poll. Never more
    // than the plan's subrequests: the override sizes polls, it cannot lift the platform's limit.
    maxPollsPerTick: Math.min(
      positiveNumber(String(Math.floor(Number(env.MAX_POLLS_PER_TICK))), limits.upstream),
      limits.subrequests,
    ),
    publicBaseUrl: baseUrl(env.PUBLIC_BASE_URL),
  };
}
