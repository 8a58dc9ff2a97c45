/**
 * The job and snapshot as batchwatch shows them (README "Using it"): in the API, in the pages' details
 * and in every notification body. Zod schemas, so the OpenAPI document is derived from the same
 * definitions the handlers are typed against, plus the functions that map rows to them.
 */
import { z } from "@hono/zod-openapi";
import type { JobRow, SnapshotRow } from "../db/schema";
import { APIS, type Observation, SNAPSHOT_SOURCES, TRACKING_STATES } from "../model";
import { UPSTREAM_JOB_FIELDS } from "../upstream/v1";
import { lastErrorSchema, presentLastError } from "./last-error";
import { iso, timestampSchema, utc } from "./time";

const nullableTimestamp = timestampSchema.nullable();

export const trackingSchema = z
  .object({
    state: z.enum(TRACKING_STATES),
    tracked_at: timestampSchema,
    last_polled_at: nullableTimestamp,
    last_success_at: nullableTimestamp,
    next_poll_at: nullableTimestamp,
    consecutive_failures: z.number().int(),
    last_error: lastErrorSchema,
    stalled_since: nullableTimestamp,
  })
  .openapi("Tracking");

const upstreamText = z.string().nullable();
const upstreamCount = z.number().nullable();

/** What a snapshot records, in every shape that shows it (see `observationJson`). */
const observationFields = {
  status: upstreamText.openapi({
    description: "LlamaCloud's status; unknown future statuses are passed through.",
    example: "running",
  }),
  total_items: upstreamCount,
  processed_items: upstreamCount,
  failed_items: upstreamCount,
  skipped_items: upstreamCount,
  progress_percentage: upstreamCount,
  error_message: upstreamText,
};

export const jobSchema = z
  .object({
    id: z.string().openapi({ example: "bjb-0f4c2e" }),
    api: z.enum(APIS).openapi({ description: "v1 batch processing (bjb-…) or v2 batches (bat-…)." }),
    job_type: upstreamText,
    project_id: upstreamText,
    organization_id: upstreamText,
    ...observationFields,
    completed_at: upstreamText,
    created_at: upstreamText,
    directory_id: upstreamText,
    effective_at: upstreamText,
    job_record_id: upstreamText,
    started_at: upstreamText,
    updated_at: upstreamText,
    workflow_id: upstreamText,
    label: z.string().nullable(),
    watch_id: z.string().nullable().openapi({ description: "The watch that found the job, or null." }),
    extra: z
      .record(z.string(), z.unknown())
      .openapi({ description: "Fields LlamaCloud sent that batchwatch does not know, kept as sent." }),
    tracking: trackingSchema,
  })
  .openapi("Job");

export const snapshotSchema = z
  .object({
    id: z.number().int(),
    job_id: z.string(),
    observed_at: timestampSchema,
    source: z.enum(SNAPSHOT_SOURCES),
    ...observationFields,
    upstream_updated_at: upstreamText,
  })
  .openapi("Snapshot");

export type JobJson = z.infer<typeof jobSchema>;
export type SnapshotJson = z.infer<typeof snapshotSchema>;

const UPSTREAM_TIME_FIELDS = [
  "completed_at",
  "created_at",
  "effective_at",
  "started_at",
  "updated_at",
] as const;
const UPSTREAM_TEXT_FIELDS = ["directory_id", "job_record_id", "workflow_id"] as const;
/** Fields LlamaCloud sends that the job shape names; anything else it sends is shown under `extra`. */
const KNOWN_UPSTREAM_FIELDS = new Set<string>([...UPSTREAM_JOB_FIELDS, "progress_percentage"]);
/**
 * A v2 batch's fields the job shape shows: `config.job.type` is `job_type`, `source_directory_id` is
 * `directory_id`, the counts are batchwatch's own (README "How batchwatch presents a v2 batch").
 */
const KNOWN_V2_FIELDS = new Set<string>([
  "status",
  "config",
  "project_id",
  "source_directory_id",
  "created_at",
  "updated_at",
  "results",
  "progress_percentage",
]);

function parseUpstream(json: string | null): Record<string, unknown> {
  if (!json) return {};
  try {
    const value: unknown = JSON.parse(json);
    return value && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

function textOrNull(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

export function presentJob(row: JobRow): JobJson {
  const upstream = parseUpstream(row.upstreamJob);
  const v2 = row.api === "v2";
  const known = v2 ? KNOWN_V2_FIELDS : KNOWN_UPSTREAM_FIELDS;
  const extra = Object.fromEntries(Object.entries(upstream).filter(([key]) => !known.has(key)));
  // v2 names its directory differently and has none of v1's other text and time fields but two.
  const shown: Record<string, unknown> = v2
    ? {
        directory_id: upstream.source_directory_id,
        created_at: upstream.created_at,
        updated_at: upstream.updated_at,
      }
    : upstream;
  const text = Object.fromEntries([
    ...UPSTREAM_TEXT_FIELDS.map((key) => [key, textOrNull(shown[key])]),
    ...UPSTREAM_TIME_FIELDS.map((key) => [key, utc(shown[key])]),
  ]) as Record<(typeof UPSTREAM_TEXT_FIELDS | typeof UPSTREAM_TIME_FIELDS)[number], string | null>;
  return {
    id: row.jobId,
    api: row.api,
    job_type: row.jobType,
    // LlamaCloud's own value once it has answered; until then, the one the job was tracked with.
    project_id: textOrNull(upstream.project_id) ?? row.projectId,
    organization_id: row.organizationId,
    ...observationJson(row),
    ...text,
    label: row.label,
    watch_id: row.watchId,
    extra,
    tracking: {
      state: row.state,
      tracked_at: iso(row.trackedAt),
      last_polled_at: iso(row.lastPolledAt),
      last_success_at: iso(row.lastSuccessAt),
      next_poll_at: iso(row.nextPollAt),
      consecutive_failures: row.consecutiveFailures,
      last_error: presentLastError(row),
      stalled_since: iso(row.stalledSince),
    },
  };
}

/** What a snapshot records, as every JSON shape names it (the job, a snapshot, an event's `previous`). */
export function observationJson(row: Observation) {
  return {
    status: row.status,
    total_items: row.totalItems,
    processed_items: row.processedItems,
    failed_items: row.failedItems,
    skipped_items: row.skippedItems,
    progress_percentage: row.progressPercentage,
    error_message: row.errorMessage,
  };
}

export function presentSnapshot(row: SnapshotRow): SnapshotJson {
  return {
    id: row.id,
    job_id: row.jobId,
    observed_at: iso(row.observedAt),
    source: row.source,
    ...observationJson(row),
    upstream_updated_at: utc(row.upstreamUpdatedAt),
  };
}
