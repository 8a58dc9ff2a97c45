// What the control routes accept: every body's schema (its input type is what sim/control.ts sends)
// and how a body is read. A bad body is answered 400 `{"detail": …}` by the control app.

import type { Context } from "hono";
import { z } from "zod";
import { BATCH_SCENARIOS, CHILD_JOB_TYPES } from "./batch-model";
import { BATCH_OVERRIDABLE_FIELDS } from "./batches";
import { FAULT_KINDS, MALFORMED_VARIANTS } from "./faults";
import { OVERRIDABLE_FIELDS } from "./jobs";
import { ENDPOINTS, SCENARIOS } from "./model";
import type { World } from "./world";

const count = z.number().int().min(0);
const json = z.record(z.string(), z.unknown());

export const CreateJobBody = z.strictObject({
  id: z.string().min(1).max(200).optional(),
  job_type: z.string().min(1).optional(),
  project_id: z.string().min(1).optional(),
  organization_id: z.string().nullable().optional(),
  directory_id: z.string().nullable().optional(),
  total_items: count.max(1_000_000).optional(),
  scenario: z.enum(SCENARIOS).optional(),
  mode: z.enum(["manual", "realtime"]).optional(),
  speed: z.number().positive().optional(),
  items_per_step: z.number().int().min(1).optional(),
  stop_at: count.optional(),
  failed_every: count.optional(),
  skipped_every: count.optional(),
  concurrency: z.number().int().min(1).optional(),
  failure_message: z.string().optional(),
  pending_ms: z.number().min(0).optional(),
  dispatched_ms: z.number().min(0).optional(),
  start_at: z.enum(["pending", "dispatched", "running", "end"]).optional(),
  finished_items: count.optional(),
  extra: json.optional(),
  omit: z.array(z.string()).optional(),
});

const overridableShape = Object.fromEntries(
  OVERRIDABLE_FIELDS.map((field) => [field, z.unknown().optional()]),
) as {
  [K in (typeof OVERRIDABLE_FIELDS)[number]]: z.ZodOptional<z.ZodUnknown>;
};

export const PatchJobBody = z.strictObject({
  ...overridableShape,
  project_id: z.string().min(1).optional(),
  job_type: z.string().min(1).optional(),
  directory_id: z.string().nullable().optional(),
  organization_id: z.string().nullable().optional(),
  extra: json.optional(),
  omit: z.array(z.string()).optional(),
  scenario: z.enum(SCENARIOS).optional(),
  stop_at: count.optional(),
  failed_every: count.optional(),
  skipped_every: count.optional(),
  items_per_step: z.number().int().min(1).optional(),
  failure_message: z.string().optional(),
  mode: z.enum(["manual", "realtime"]).optional(),
  speed: z.number().positive().optional(),
});

export const AdvanceBody = z.strictObject({
  steps: z.number().int().min(1).optional(),
  /** Advance until the job reaches this stage (`end`: its scenario's last position). */
  to: z.enum(["dispatched", "running", "end"]).optional(),
});

export const CreateBatchBody = z
  .strictObject({
    id: z.string().min(1).max(200).optional(),
    job_type: z.enum(CHILD_JOB_TYPES).optional(),
    configuration_id: z.string().min(1).optional(),
    project_id: z.string().min(1).optional(),
    organization_id: z.string().nullable().optional(),
    source_directory_id: z.string().min(1).optional(),
    total_files: count.max(100_000).optional(),
    unmappable_files: count.optional(),
    failed_children: count.optional(),
    cancelled_children: count.optional(),
    stuck_children: count.optional(),
    scenario: z.enum(BATCH_SCENARIOS).optional(),
    stop_at: count.optional(),
    completes_before_children: z.boolean().optional(),
    throttle_after_files: count.optional(),
    throttled_steps: count.max(100_000).optional(),
    files_per_step: z.number().int().min(1).optional(),
    child_steps: z.number().int().min(1).max(10_000).optional(),
    mode: z.enum(["manual", "realtime"]).optional(),
    speed: z.number().positive().optional(),
    pending_ms: z.number().min(0).optional(),
    start_at: z.enum(["pending", "running", "mapped", "end"]).optional(),
    extra: json.optional(),
    omit: z.array(z.string()).optional(),
  })
  .superRefine((input, ctx) => {
    const total = input.total_files ?? 10;
    const unmappable = input.unmappable_files ?? 0;
    const jobs = (input.failed_children ?? 0) + (input.cancelled_children ?? 0) + (input.stuck_children ?? 0);
    const limit =
      input.scenario === "fails" ? Math.min(total, input.stop_at ?? Math.floor(total / 2)) : total;
    const problems: [boolean, string][] = [
      [unmappable > total, "unmappable_files: more than total_files"],
      [
        jobs > total - unmappable,
        "failed + cancelled + stuck children: more than the files that can be mapped",
      ],
      [(input.stop_at ?? 0) > total, "stop_at: more than total_files"],
      [
        (input.throttled_steps ?? 0) > 0 && (input.throttle_after_files ?? 0) >= limit,
        "throttle_after_files: the THROTTLED phase must start before the last file is mapped",
      ],
    ];
    for (const [wrong, message] of problems) if (wrong) ctx.addIssue({ code: "custom", message });
  });

const batchOverridableShape = Object.fromEntries(
  BATCH_OVERRIDABLE_FIELDS.map((field) => [field, z.unknown().optional()]),
) as { [K in (typeof BATCH_OVERRIDABLE_FIELDS)[number]]: z.ZodOptional<z.ZodUnknown> };

export const PatchBatchBody = z.strictObject({
  ...batchOverridableShape,
  project_id: z.string().min(1).optional(),
  extra: json.optional(),
  omit: z.array(z.string()).optional(),
});

export const AdvanceBatchBody = z.strictObject({
  steps: z.number().int().min(1).optional(),
  /** Advance until the batch reaches this stage (`mapped`: every file mapped; `end`: nothing left to move). */
  to: z.enum(["running", "mapped", "end"]).optional(),
});

export const FaultBody = z.strictObject({
  kind: z.enum(FAULT_KINDS),
  job_id: z.string().min(1).nullable().optional(),
  endpoint: z.enum(ENDPOINTS).nullable().optional(),
  times: z.number().int().min(1).optional(),
  forever: z.boolean().optional(),
  retry_after: z.number().min(0).nullable().optional(),
  retry_after_format: z.enum(["seconds", "http-date"]).optional(),
  status: z.number().int().min(400).max(599).optional(),
  delay_ms: z.number().int().min(0).max(120_000).optional(),
  variant: z.enum(MALFORMED_VARIANTS).optional(),
  status_value: z.string().optional(),
});

export const ConfigBody = z.strictObject({
  callback_url: z.url().nullable().optional(),
  callback_secret: z.string().min(1).nullable().optional(),
  auto_callbacks: z.boolean().optional(),
  revoked: z.boolean().optional(),
});

export const CallbackBody = z.strictObject({
  /** A v1 job, a v2 batch or a v2 child job. */
  job_id: z.string().min(1).optional(),
  event_type: z.string().min(1).optional(),
  /** Overrides the tenant's callback URL for this one callback. */
  url: z.url().optional(),
  /** Overrides the tenant's secret (null: unsigned) for this one callback. */
  secret: z.string().min(1).nullable().optional(),
  /** false: build and sign the callback but answer it instead of sending it. */
  deliver: z.boolean().optional(),
  /** Reuse this event id (a duplicate delivery of the same event). */
  event_id: z.string().min(1).optional(),
  /** Fields merged into `data` (or the whole `data` when no job is named). */
  data: json.optional(),
  /** Send again, byte for byte, a callback already in this tenant's callback log. */
  resend: z.string().min(1).optional(),
});

export const ClockBody = z.strictObject({ advance_ms: z.number().int().min(0) });

export const DemoBatchBody = z.strictObject({
  /** Which generation to start; v1 and v2 take turns when absent. */
  api: z.enum(["v1", "v2"]).optional(),
  /** Default: the watched demo project. */
  project_id: z.string().min(1).optional(),
});

export type CreateJobInput = z.input<typeof CreateJobBody>;
export type PatchJobInput = z.input<typeof PatchJobBody>;
export type AdvanceInput = z.input<typeof AdvanceBody>;
export type FaultInput = z.input<typeof FaultBody>;
export type ConfigInput = z.input<typeof ConfigBody>;
export type DemoBatchInput = z.input<typeof DemoBatchBody>;
export type CallbackInput = z.input<typeof CallbackBody>;
export type CreateBatchInput = z.input<typeof CreateBatchBody>;
export type PatchBatchInput = z.input<typeof PatchBatchBody>;
export type AdvanceBatchInput = z.input<typeof AdvanceBatchBody>;

export type ControlEnv = { Variables: { world: World } };

export class BadInput extends Error {}

/** Parses a JSON body (empty = `{}`) with a schema, throwing BadInput with a readable message. */
export async function body<T extends z.ZodType>(c: Context, schema: T): Promise<z.output<T>> {
  const text = await c.req.text();
  let raw: unknown = {};
  if (text.trim() !== "") {
    try {
      raw = JSON.parse(text);
    } catch {
      throw new BadInput("body is not valid JSON");
    }
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new BadInput(
      parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "),
    );
  }
  return parsed.data;
}
