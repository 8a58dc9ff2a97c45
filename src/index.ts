import { app } from "./app";
import type { Bindings } from "./config";
import { consumePolls } from "./monitor/consume";
import { runTick } from "./monitor/tick";

export type { AppType } from "./app";

export default {
  fetch: app.fetch,
  async scheduled(controller, env) {
    const tick = await runTick(env, controller.scheduledTime);
    console.log(JSON.stringify({ event: "tick", ...tick }));
  },
  // POLL_QUEUE's consumer: polls the jobs a tick handed off (README "Polling through a Cloudflare Queue").
  // A throw leaves the whole batch to be retried; the leases keep a retry from polling a job twice.
  async queue(batch, env) {
    const consumed = await consumePolls(
      env,
      batch.messages.map((message) => message.body),
    );
    batch.ackAll();
    console.log(JSON.stringify({ event: "queue_polls", ...consumed }));
  },
} satisfies ExportedHandler<Bindings>;
