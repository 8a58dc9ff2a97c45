// Control routes for v2 batches, in the style of the job routes: create, list, show, patch, advance,
// delete (`/__sim/batches…`).

import { type Context, Hono } from "hono";
import type { SimBatch } from "./batch-model";
import { advanceBatch, createBatch, patchBatch, positionOf, viewBatch } from "./batches";
import { AdvanceBatchBody, body, type ControlEnv, CreateBatchBody, PatchBatchBody } from "./control-inputs";

export function batchControlRoutes(): Hono<ControlEnv> {
  const app = new Hono<ControlEnv>();

  const findBatch = (c: Context<ControlEnv>): SimBatch | Response => {
    const batch = c.var.world.batches.get(c.req.param("id") ?? "");
    return batch ?? c.json({ detail: "No such simulated batch" }, 404);
  };

  app.post("/__sim/batches", async (c) => {
    const { world } = c.var;
    const input = await body(c, CreateBatchBody);
    if (input.id && world.batches.has(input.id))
      return c.json({ detail: `Batch ${input.id} already exists` }, 409);
    const batch = createBatch(input, world.now(), world.settings.jobDefaults);
    world.addBatch(batch);
    world.announceNewBatch(batch);
    await world.flush();
    return c.json({ batch: viewBatch(batch) }, 201);
  });

  app.get("/__sim/batches", (c) => c.json({ batches: [...c.var.world.batches.values()].map(viewBatch) }));

  app.get("/__sim/batches/:id", (c) => {
    const batch = findBatch(c);
    return batch instanceof Response ? batch : c.json({ batch: viewBatch(batch) });
  });

  app.patch("/__sim/batches/:id", async (c) => {
    const batch = findBatch(c);
    if (batch instanceof Response) return batch;
    // What is not project_id, extra or omit is one of the answer fields a PATCH may override.
    const { project_id, extra, omit, ...fields } = await body(c, PatchBatchBody);
    patchBatch(batch, { project_id, extra, omit, fields }, c.var.world.now());
    return c.json({ batch: viewBatch(batch) });
  });

  app.post("/__sim/batches/:id/advance", async (c) => {
    const batch = findBatch(c);
    if (batch instanceof Response) return batch;
    const { world } = c.var;
    const input = await body(c, AdvanceBatchBody);
    const steps = input.to ? positionOf(batch, input.to) - batch.position : (input.steps ?? 1);
    const change = advanceBatch(batch, steps, world.now());
    if (change) world.announceBatch(change);
    await world.flush();
    return c.json({ batch: viewBatch(batch), changes: change ? [change] : [] });
  });

  app.delete("/__sim/batches/:id", (c) => {
    const batch = findBatch(c);
    if (batch instanceof Response) return batch;
    c.var.world.deleteBatch(batch);
    return c.json({ deleted: batch.id });
  });

  return app;
}
