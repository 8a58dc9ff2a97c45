// The demo's control route: starts the next batch in a project (the one `npm start` watches unless
// told otherwise), as LlamaCloud users start batches over time, so discovery has something to find.

import { Hono } from "hono";
import { body, type ControlEnv, DemoBatchBody } from "./control-inputs";
import { startDemoBatch } from "./demo";

export function demoControlRoutes(): Hono<ControlEnv> {
  const app = new Hono<ControlEnv>();

  app.post("/__sim/demo/batches", async (c) => {
    const { world } = c.var;
    const input = await body(c, DemoBatchBody);
    const started = startDemoBatch(world, { api: input.api, projectId: input.project_id });
    await world.flush();
    return c.json({ started }, 201);
  });

  return app;
}
