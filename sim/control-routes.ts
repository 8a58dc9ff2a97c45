// The simulator's own control routes under /__sim/, for tests and for `npm start`. The Bearer key
// selects the tenant (any non-empty key; there is no other auth: the simulator is never deployed).
// Every answer is JSON, deletions included, so simple clients can always parse it.

import { Hono } from "hono";
import { batchControlRoutes } from "./control-batches";
import { demoControlRoutes } from "./control-demo";
import { BadInput, type ControlEnv } from "./control-inputs";
import { jobControlRoutes } from "./control-jobs";
import { tenantControlRoutes } from "./control-tenant";
import { bearerKey } from "./upstream";
import type { RequestLogEntry, Worlds } from "./world";

// The input types are the control API's surface for its clients (sim/control.ts, test helpers).
export type * from "./control-inputs";

export interface ControlDeps {
  worlds: Worlds;
  anonymousLog: RequestLogEntry[];
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

  app.route("/", jobControlRoutes());
  app.route("/", batchControlRoutes());
  app.route("/", tenantControlRoutes());
  app.route("/", demoControlRoutes());
  app.all("/__sim/*", (c) => c.json({ detail: "No such control route" }, 404));
  return app;
}
