// The simulator's own control routes under /__sim/, for tests and for `npm start`. The Bearer key
// selects the tenant (any non-empty key; there is no other auth: the simulator is never deployed).
// Every answer is JSON, deletions included, so simple clients can always parse it.

import { type Context, Hono } from "hono";
import { z } from "zod";
import { bearerKey } from "./api";
import {
  type CallbackEvent,
  eventTypeForStatus,
  jobEvent,
  jobEventFromData,
  prepareCallback,
} from "./callbacks";
import { FAULT_KINDS, MALFORMED_VARIANTS, makeFault } from "./faults";
import {
  advanceJob,
  createJob,
  type JobChange,
  OVERRIDABLE_FIELDS,
  patchJob,
  statusJson,
  stepsToEnd,
  viewJob,
} from "./jobs";
import { DISPATCHED, RUNNING } from "./lifecycle";
import { ENDPOINTS, SCENARIOS, type SimJob } from "./model";
import type { RequestLogEntry, World, Worlds } from "./world";

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

export type CreateJobInput = z.input<typeof CreateJobBody>;
export type PatchJobInput = z.input<typeof PatchJobBody>;
export type AdvanceInput = z.input<typeof AdvanceBody>;
export type FaultInput = z.input<typeof FaultBody>;
export type ConfigInput = z.input<typeof ConfigBody>;
export type CallbackInput = z.input<typeof CallbackBody>;

type ControlEnv = { Variables: { world: World } };

export interface ControlDeps {
  worlds: Worlds;
  anonymousLog: RequestLogEntry[];
}

class BadInput extends Error {}

/** Parses a JSON body (empty = `{}`) with a schema, throwing BadInput with a readable message. */
async function body<T extends z.ZodType>(c: Context, schema: T): Promise<z.output<T>> {
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

export function controlRoutes(deps: ControlDeps): Hono<ControlEnv> {
  const app = new Hono<ControlEnv>();

  app.onError((error, c) => {
    if (error instanceof BadInput) return c.json({ detail: error.message }, 400);
    throw error;
  });

  app.get("/__sim/health", (c) => c.json({ ok: true }));
  app.get("/__sim/anonymous-requests", (c) => c.json({ requests: deps.anonymousLog }));

  app.use("/__sim/*", async (c, next) => {
    const key = bearerKey(c.req.header("authorization"));
    if (!key) return c.json({ detail: "Control routes need `Authorization: Bearer <tenant API key>`" }, 401);
    const world = deps.worlds.get(key);
    world.sync();
    c.set("world", world);
    await next();
  });

  const findJob = (c: Context<ControlEnv>): SimJob | Response => {
    const job = c.var.world.jobs.get(c.req.param("id") ?? "");
    return job ?? c.json({ detail: "No such simulated job" }, 404);
  };

  app.post("/__sim/jobs", async (c) => {
    const { world } = c.var;
    const input = await body(c, CreateJobBody);
    if (input.id && world.jobs.has(input.id))
      return c.json({ detail: `Job ${input.id} already exists` }, 409);
    const job = createJob(input, world.now(), world.settings.jobDefaults);
    world.jobs.set(job.id, job);
    world.announceNew(job);
    await world.flush();
    return c.json({ job: viewJob(job) }, 201);
  });

  app.get("/__sim/jobs", (c) => c.json({ jobs: [...c.var.world.jobs.values()].map(viewJob) }));

  app.get("/__sim/jobs/:id", (c) => {
    const job = findJob(c);
    return job instanceof Response ? job : c.json({ job: viewJob(job) });
  });

  app.patch("/__sim/jobs/:id", async (c) => {
    const job = findJob(c);
    if (job instanceof Response) return job;
    const { world } = c.var;
    const input = await body(c, PatchJobBody);
    const fields: Record<string, unknown> = {};
    const rest: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(input)) {
      if ((OVERRIDABLE_FIELDS as readonly string[]).includes(name)) fields[name] = value;
      else rest[name] = value;
    }
    patchJob(job, { ...rest, fields }, world.now());
    return c.json({ job: viewJob(job) });
  });

  app.post("/__sim/jobs/:id/advance", async (c) => {
    const job = findJob(c);
    if (job instanceof Response) return job;
    const { world } = c.var;
    const input = await body(c, AdvanceBody);
    const target = { dispatched: DISPATCHED, running: RUNNING, end: Number.POSITIVE_INFINITY };
    const steps = input.to ? Math.min(stepsToEnd(job), target[input.to] - job.position) : (input.steps ?? 1);
    const change = advanceJob(job, steps, world.now());
    if (change) world.announce(change);
    await world.flush();
    return c.json({ job: viewJob(job), changes: change ? [change] : [] });
  });

  app.delete("/__sim/jobs/:id", (c) => {
    const job = findJob(c);
    if (job instanceof Response) return job;
    c.var.world.jobs.delete(job.id);
    return c.json({ deleted: job.id });
  });

  app.post("/__sim/faults", async (c) => {
    const { world } = c.var;
    const fault = makeFault(await body(c, FaultBody), `flt-${world.nextSeq()}`);
    world.faults.push(fault);
    return c.json({ fault: faultView(fault) }, 201);
  });
  app.get("/__sim/faults", (c) => c.json({ faults: c.var.world.faults.map(faultView) }));
  app.delete("/__sim/faults", (c) => {
    const cleared = c.var.world.faults.length;
    c.var.world.faults = [];
    return c.json({ cleared });
  });
  app.delete("/__sim/faults/:faultId", (c) => {
    const { world } = c.var;
    const id = c.req.param("faultId");
    world.faults = world.faults.filter((fault) => fault.id !== id);
    return c.json({ deleted: id });
  });

  app.get("/__sim/requests", (c) => {
    const { job_id, endpoint, since_seq } = c.req.query();
    const requests = c.var.world.requests.filter(
      (entry) =>
        (!job_id || entry.job_id === job_id) &&
        (!endpoint || entry.endpoint === endpoint) &&
        (!since_seq || entry.seq > Number(since_seq)),
    );
    return c.json({ requests });
  });
  app.delete("/__sim/requests", (c) => {
    const cleared = c.var.world.requests.length;
    c.var.world.requests = [];
    return c.json({ cleared });
  });

  app.get("/__sim/config", (c) => c.json({ config: configView(c.var.world) }));
  app.put("/__sim/config", async (c) => {
    const { world } = c.var;
    const input = await body(c, ConfigBody);
    if (input.callback_url !== undefined) world.config.callbackUrl = input.callback_url;
    if (input.callback_secret !== undefined) world.config.callbackSecret = input.callback_secret;
    if (input.auto_callbacks !== undefined) world.config.autoCallbacks = input.auto_callbacks;
    if (input.revoked !== undefined) world.config.revoked = input.revoked;
    return c.json({ config: configView(world) });
  });

  app.post("/__sim/callbacks", async (c) => {
    const { world } = c.var;
    const input = await body(c, CallbackBody);
    if (input.resend) {
      const original = world.callbacks.find((entry) => entry.event_id === input.resend);
      if (!original) return c.json({ detail: `No callback ${input.resend} in the log` }, 404);
      const callback = {
        url: input.url ?? original.url,
        event: JSON.parse(original.body),
        body: original.body,
        headers: original.headers,
      };
      return c.json({ callback: await world.sendInOrder(callback) });
    }
    const job = input.job_id ? world.jobs.get(input.job_id) : undefined;
    if (!job && !input.data) {
      const hint = input.job_id
        ? "No such simulated job (give `data` to send one anyway)"
        : "Give `job_id` or `data`";
      return c.json({ detail: hint }, 404);
    }
    const event = callbackEvent(world, job, input);
    const secret = input.secret === undefined ? world.config.callbackSecret : input.secret;
    const callback = await prepareCallback(event, input.url ?? world.config.callbackUrl, secret);
    if (input.deliver === false) return c.json({ callback: { ...callback, status: null, error: null } });
    return c.json({ callback: await world.sendInOrder(callback) });
  });
  app.get("/__sim/callbacks", (c) => c.json({ callbacks: c.var.world.callbacks }));

  app.post("/__sim/clock", async (c) => {
    const { world } = c.var;
    const input = await body(c, ClockBody);
    world.clockOffsetMs += input.advance_ms;
    const changes: JobChange[] = world.sync();
    await world.flush();
    return c.json({ now: new Date(world.now()).toISOString(), changes });
  });

  app.post("/__sim/reset", (c) => {
    c.var.world.reset();
    return c.json({ reset: true });
  });

  app.all("/__sim/*", (c) => c.json({ detail: "No such control route" }, 404));
  return app;
}

/** The event of an on-demand callback: the job's current answer (if any), with `data` merged in. */
function callbackEvent(
  world: World,
  job: SimJob | undefined,
  input: z.output<typeof CallbackBody>,
): CallbackEvent {
  const now = world.now();
  if (!job) {
    return jobEventFromData(
      input.data ?? {},
      input.event_type ?? "batch.status_changed",
      now,
      input.event_id,
    );
  }
  const answer = statusJson(job);
  const type = input.event_type ?? eventTypeForStatus(answer.job.status, answer.job.failed_items);
  const event = jobEvent(answer, type, now, input.event_id);
  return { ...event, data: { ...event.data, ...input.data } };
}

function faultView(fault: ReturnType<typeof makeFault>) {
  return {
    id: fault.id,
    ...fault.spec,
    remaining: Number.isFinite(fault.remaining) ? fault.remaining : null,
    used: fault.used,
  };
}

function configView(world: World) {
  return {
    callback_url: world.config.callbackUrl,
    callback_secret_set: world.config.callbackSecret !== null,
    auto_callbacks: world.config.autoCallbacks,
    revoked: world.config.revoked,
    clock_offset_ms: world.clockOffsetMs,
  };
}
