// Control routes for v2 batches, in the style of the job routes: create, list, show, patch, advance,
// delete (`/__sim/batches…`).

import type { Hono } from "hono";
import { advanceBatch, createBatch, patchBatch, positionOf, viewBatch } from "./batches";
import { AdvanceBatchBody, type ControlEnv, CreateBatchBody, PatchBatchBody } from "./control-inputs";
import { resourceRoutes } from "./control-resource";

export function batchControlRoutes(): Hono<ControlEnv> {
  return resourceRoutes({
    one: "batch",
    many: "batches",
    bodies: { create: CreateBatchBody, patch: PatchBatchBody, advance: AdvanceBatchBody },
    in: (world) => world.batches,
    view: viewBatch,
    create(world, input) {
      const batch = createBatch(input, world.now(), world.settings.jobDefaults);
      world.addBatch(batch);
      world.announceNewBatch(batch);
      return batch;
    },
    // What is not project_id, extra or omit is one of the answer fields a PATCH may override.
    patch(batch, { project_id, extra, omit, ...fields }, nowMs) {
      patchBatch(batch, { project_id, extra, omit, fields }, nowMs);
    },
    advance(world, batch, input) {
      const steps = input.to ? positionOf(batch, input.to) - batch.position : (input.steps ?? 1);
      const change = advanceBatch(batch, steps, world.now());
      if (change) world.announceBatch(change);
      return change;
    },
    remove: (world, batch) => world.deleteBatch(batch),
  });
}
