// Control routes for the rest of a tenant's world: faults, the request log, callback config and
// on-demand callbacks (about v1 jobs, v2 batches and child jobs), the clock, and reset.

import { Hono } from "hono";
import type { z } from "zod";
import { batchJson, childJson } from "./batch-answers";
import {
  batchEvent,
  batchEventType,
  type CallbackEvent,
  childEvent,
  childEventType,
  eventTypeForStatus,
  jobEvent,
  jobEventFromData,
  prepareCallback,
} from "./callbacks";
import { body, CallbackBody, ClockBody, ConfigBody, type ControlEnv, FaultBody } from "./control-inputs";
import { makeFault } from "./faults";
import { statusJson } from "./job-answers";
import type { World } from "./world";

export function tenantControlRoutes(): Hono<ControlEnv> {
  const app = new Hono<ControlEnv>();

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
        // A child list request is about its batch and every child it named.
        (!job_id || entry.job_id === job_id || entry.job_ids?.includes(job_id) === true) &&
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
    const event = callbackEvent(world, input);
    if (!event) {
      const hint = input.job_id
        ? "No such simulated job, batch or child job (give `data` to send one anyway)"
        : "Give `job_id` or `data`";
      return c.json({ detail: hint }, 404);
    }
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
    const { jobs, batches } = world.sync();
    await world.flush();
    return c.json({ now: new Date(world.now()).toISOString(), changes: jobs, batch_changes: batches });
  });

  app.post("/__sim/reset", (c) => {
    c.var.world.reset();
    return c.json({ reset: true });
  });
  return app;
}

/**
 * The event of an on-demand callback: the current answer about the v1 job, v2 batch or child job it
 * names, with `data` merged in; `data` alone for anything else; null when there is nothing to send.
 */
function callbackEvent(world: World, input: z.output<typeof CallbackBody>): CallbackEvent | null {
  const now = world.now();
  const id = input.job_id ?? "";
  const job = world.jobs.get(id);
  const batch = world.batches.get(id);
  const child = world.childJobs.get(id);
  const childAnswer = child ? childJson(child.batch, child.file) : null;
  let event: CallbackEvent;
  if (job) {
    const answer = statusJson(job);
    const type = input.event_type ?? eventTypeForStatus(answer.job.status, answer.job.failed_items);
    event = jobEvent(answer, type, now, input.event_id);
  } else if (batch) {
    const answer = batchJson(batch, { results: false });
    const type = input.event_type ?? batchEventType(answer.status) ?? "unmapped_event";
    event = batchEvent(answer, type, now, input.event_id);
  } else if (child && childAnswer) {
    const type =
      input.event_type ?? childEventType(child.batch.jobType, childAnswer.status) ?? "unmapped_event";
    event = childEvent(childAnswer, type, now, input.event_id);
  } else if (input.data) {
    return jobEventFromData(input.data, input.event_type ?? "batch.status_changed", now, input.event_id);
  } else {
    return null;
  }
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
