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
  historyRetentionDays: number;
  maxPollsPerTick: number;
  /** Where people open batchwatch (no trailing slash), for links in chat messages; null when unset. */
  publicBaseUrl: string | null;
}

const DEFAULT_BASE_URL = "https://api.cloud.llamaindex.ai";

/** An empty secret counts as unset: a blank ADMIN_TOKEN must never open writes. */
function secret(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** Boolean values already warned about in this isolate: one warning each, not one per request. */
const warnedFlags = new Set<string>();

/**
 * A boolean var, read as people write it: "true"/"false" in any case, with stray spaces. Anything
 * else counts as false (a typo must not open reads) and is logged once, so the operator sees why.
 */
export function flag(name: string, value: string | undefined): boolean {
  const normalized = value?.trim().toLowerCase() ?? "";
  if (normalized === "true") return true;
  if (normalized !== "false" && normalized !== "" && !warnedFlags.has(`${name}=${value}`)) {
    warnedFlags.add(`${name}=${value}`);
    console.warn(
      JSON.stringify({
        event: "config_warning",
        message: `${name} is ${JSON.stringify(value?.slice(0, 40))}, which is neither "true" nor "false"; it counts as "false".`,
      }),
    );
  }
  return false;
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

/** A malformed number falls back to its default rather than taking the whole monitor down. */
function positiveNumber(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

export function readConfig(env: Bindings): Config {
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
    historyRetentionDays: positiveNumber(env.HISTORY_RETENTION_DAYS, 90),
    // Floored before the check: "0.5" must fall back to the default, not stop every poll.
    maxPollsPerTick: positiveNumber(String(Math.floor(Number(env.MAX_POLLS_PER_TICK))), 500),
    publicBaseUrl: baseUrl(env.PUBLIC_BASE_URL),
  };
}
