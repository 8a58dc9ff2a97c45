// LlamaCloud callbacks about v2 batches, built and signed by the simulator and posted to the real
// app: a parse.* event names a child job, and the batch that child belongs to is polled at once
// (its snapshot from the webhook); a batch.* event names the batch itself.
import { beforeEach, describe, expect, it } from "vitest";
import { simControl } from "../../sim/control";
import { call, type World, world } from "../helpers/app";
import { resetDatabase } from "../helpers/d1";
import { history, job, track } from "../helpers/jobs";
import { upstream } from "../helpers/upstream";

const SECRET = "lc-callback-secret-for-v2";

async function postCallback(w: World, jobId: string, eventType?: string) {
  const sent = await simControl({ apiKey: w.key }).sendCallback({
    job_id: jobId,
    event_type: eventType,
    secret: SECRET,
    deliver: false,
  });
  return call(w, "/webhooks/llamacloud", { method: "POST", headers: sent.headers, body: sent.body });
}

describe("v2 callbacks", () => {
  beforeEach(resetDatabase);

  it("a child job's callback polls its batch, with a webhook snapshot", async () => {
    const w = world("v2-child-callback", { LLAMA_CLOUD_WEBHOOK_SECRET: SECRET });
    const sim = upstream(w);
    const id = "bat-called";
    await sim.createBatch({ id, total_files: 3, files_per_step: 3, child_steps: 1, start_at: "mapped" });
    await track(w, id);
    const child = (await sim.batch(id)).answer.results?.[0]?.job_reference?.id ?? "";
    expect(child).toMatch(/^pjb-/);
    await sim.advanceBatch(id, { to: "end" });
    const polls = (await sim.requests({ job_id: id, endpoint: "batch" })).length;

    const res = await postCallback(w, child);
    expect(res.status).toBe(202);
    expect(await sim.requests({ job_id: id, endpoint: "batch" })).toHaveLength(polls + 1);
    expect(await job(w, id)).toMatchObject({ processed_items: 3, tracking: { state: "finished" } });
    const [latest] = await history(w, id);
    expect(latest).toMatchObject({ source: "webhook", status: "completed", processed_items: 3 });
  });

  it("a batch callback (data.batch_id) polls that batch", async () => {
    const w = world("v2-batch-callback", { LLAMA_CLOUD_WEBHOOK_SECRET: SECRET });
    const sim = upstream(w);
    const id = "bat-called-itself";
    await sim.createBatch({ id, total_files: 2, files_per_step: 2, child_steps: 1 });
    await track(w, id);
    await sim.advanceBatch(id, { steps: 1 });
    const res = await postCallback(w, id, "batch.running");
    expect(res.status).toBe(202);
    const [latest] = await history(w, id);
    expect(latest).toMatchObject({ source: "webhook", status: "running" });
  });
});
