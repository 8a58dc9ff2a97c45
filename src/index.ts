import { app } from "./app";
import type { Bindings } from "./config";
import { runTick } from "./monitor/tick";

export type { AppType } from "./app";

export default {
  fetch: app.fetch,
  async scheduled(controller, env) {
    const tick = await runTick(env, controller.scheduledTime);
    console.log(JSON.stringify({ event: "tick", ...tick }));
  },
} satisfies ExportedHandler<Bindings>;
