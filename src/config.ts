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
  // Secrets appear in the generated Env only when a local .dev.vars names them.
  | "LLAMA_CLOUD_API_KEY"
  | "ADMIN_TOKEN"
  | "READ_TOKEN"
  | "LLAMA_CLOUD_WEBHOOK_SECRET"
> & {
  LLAMA_CLOUD_BASE_URL?: string;
  PUBLIC_READ?: string;
  ALLOW_HTTP_WEBHOOKS?: string;
  POLL_INTERVAL_SECONDS?: string;
  STALL_AFTER_MINUTES?: string;
  HISTORY_RETENTION_DAYS?: string;
  MAX_POLLS_PER_TICK?: string;
  LLAMA_CLOUD_API_KEY?: string;
  ADMIN_TOKEN?: string;
  READ_TOKEN?: string;
  LLAMA_CLOUD_WEBHOOK_SECRET?: string;
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
}

const DEFAULT_BASE_URL = "https://api.cloud.llamaindex.ai";

/** An empty secret counts as unset: a blank ADMIN_TOKEN must never open writes. */
function secret(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
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
    publicRead: env.PUBLIC_READ === "true",
    webhookSecret: secret(env.LLAMA_CLOUD_WEBHOOK_SECRET),
    allowHttpWebhooks: env.ALLOW_HTTP_WEBHOOKS === "true",
    pollIntervalSeconds: positiveNumber(env.POLL_INTERVAL_SECONDS, 60),
    stallAfterMinutes: positiveNumber(env.STALL_AFTER_MINUTES, 30),
    historyRetentionDays: positiveNumber(env.HISTORY_RETENTION_DAYS, 90),
    // Floored before the check: "0.5" must fall back to the default, not stop every poll.
    maxPollsPerTick: positiveNumber(String(Math.floor(Number(env.MAX_POLLS_PER_TICK))), 500),
  };
}
