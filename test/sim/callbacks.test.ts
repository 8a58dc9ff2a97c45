import { describe, expect, it } from "vitest";
import { type ReceivedRequest, receiverControl, simControl } from "../../sim/control";

// Callbacks from the simulator into the in-memory receiver, and the receiver's scripted answers, all
// over the workerd test network.

function setup(name: string) {
  const sim = simControl({ apiKey: `llx-cb-${name}-${crypto.randomUUID()}` });
  const receiver = receiverControl({ name: `${name}-${crypto.randomUUID()}` });
  return { sim, receiver };
}

/** Recomputes the signature independently of the simulator's code. */
async function expectedSignature(secret: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(body));
  return `sha256=${[...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

function eventTypes(requests: ReceivedRequest[]): string[] {
  return requests.map((request) => (JSON.parse(request.body) as { event_type: string }).event_type);
}

describe("automatic callbacks", () => {
  it("are sent, signed, for every lifecycle change", async () => {
    const { sim, receiver } = setup("auto");
    await sim.setConfig({ callback_url: receiver.url("/webhooks/llamacloud"), callback_secret: "s3cret" });
    const job = await sim.createJob({ total_items: 3, failed_every: 3 });
    await sim.advance(job.id, { to: "running" });
    await sim.advance(job.id);
    await sim.advance(job.id, { to: "end" });

    const requests = await receiver.requests();
    expect(eventTypes(requests)).toEqual([
      "batch.pending",
      "batch.dispatched",
      "batch.running",
      "batch.progress",
      "batch.partial_success",
    ]);
    for (const request of requests) {
      expect(request.method).toBe("POST");
      expect(request.path).toBe("/webhooks/llamacloud");
      expect(request.headers["content-type"]).toBe("application/json");
      expect(request.headers["lc-signature"]).toBe(await expectedSignature("s3cret", request.body));
      const event = JSON.parse(request.body) as {
        event_id: string;
        event_type: string;
        timestamp: string;
        data: Record<string, unknown>;
      };
      expect(request.headers["x-webhook-event-id"]).toBe(event.event_id);
      expect(request.headers["x-webhook-event-type"]).toBe(event.event_type);
      expect(Number.isNaN(Date.parse(event.timestamp))).toBe(false);
      expect(event.data).toMatchObject({ id: job.id, job_id: job.id });
      expect(event.data).toHaveProperty("progress_percentage");
    }
    const last = JSON.parse(requests.at(-1)?.body ?? "{}") as { data: Record<string, unknown> };
    expect(last.data).toMatchObject({ status: "completed", processed_items: 2, failed_items: 1 });
    const log = await sim.callbacks();
    expect(log.map((entry) => entry.status)).toEqual([200, 200, 200, 200, 200]);
  });

  it("are unsigned without a secret, and follow a cancel", async () => {
    const { sim, receiver } = setup("cancel");
    const job = await sim.createJob({ start_at: "running" });
    await sim.setConfig({ callback_url: receiver.url() });
    await fetch(`http://llamacloud.test/api/v1/beta/batch-processing/${job.id}/cancel`, {
      method: "POST",
      headers: { authorization: `Bearer ${sim.apiKey}` },
    });
    const [request] = await receiver.requests();
    expect(eventTypes(await receiver.requests())).toEqual(["batch.cancelled"]);
    expect(request?.headers).not.toHaveProperty("lc-signature");
  });

  it("record a receiver's failure without retrying", async () => {
    const { sim, receiver } = setup("failing");
    await receiver.script([], { status: 500, body: "nope" });
    await sim.setConfig({ callback_url: receiver.url() });
    await sim.createJob();
    const [entry] = await sim.callbacks();
    expect(entry).toMatchObject({ event_type: "batch.pending", status: 500, error: null, trigger: "auto" });
    expect(await receiver.requests()).toHaveLength(1);
  });
});

describe("callbacks on demand", () => {
  it("can be built and signed without sending, with tampered data for unknown jobs", async () => {
    const { sim } = setup("dry");
    const job = await sim.createJob({ start_at: "running" });
    const built = await sim.sendCallback({ job_id: job.id, secret: "k", deliver: false });
    expect(built.url).toBeNull();
    expect(built.headers["lc-signature"]).toBe(await expectedSignature("k", built.body));
    expect(JSON.parse(built.body)).toMatchObject({ event_type: "batch.running", data: { job_id: job.id } });

    const ghost = await sim.sendCallback({
      data: { job_id: "bjb-ghost" },
      event_type: "batch.success",
      deliver: false,
    });
    expect(JSON.parse(ghost.body)).toMatchObject({
      event_type: "batch.success",
      data: { job_id: "bjb-ghost" },
    });
    await expect(sim.sendCallback({ job_id: "bjb-ghost" })).rejects.toMatchObject({ status: 404 });
  });

  it("can repeat an event byte for byte, and reuse an event id", async () => {
    const { sim, receiver } = setup("repeat");
    const job = await sim.createJob();
    await sim.setConfig({ callback_url: receiver.url(), callback_secret: "k", auto_callbacks: false });
    const first = await sim.sendCallback({ job_id: job.id, event_type: "batch.progress" });
    await sim.sendCallback({ resend: first.event_id });
    await sim.sendCallback({ job_id: job.id, event_id: first.event_id });
    const [a, b, c] = await receiver.requests();
    expect(b?.body).toBe(a?.body);
    expect(b?.headers["lc-signature"]).toBe(a?.headers["lc-signature"]);
    expect(c?.headers["x-webhook-event-id"]).toBe(first.event_id);
  });
});

describe("the receiver", () => {
  it("answers as scripted, in order, then its default", async () => {
    const { receiver } = setup("script");
    await receiver.script(
      [{ status: 503, times: 2 }, { status: 410 }, { redirect_to: "https://elsewhere.test/" }],
      { status: 204 },
    );
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const response = await fetch(receiver.url(), { method: "POST", body: `n=${i}`, redirect: "manual" });
      statuses.push(response.status);
      if (response.status === 302) expect(response.headers.get("location")).toBe("https://elsewhere.test/");
    }
    expect(statuses).toEqual([503, 503, 410, 302, 204, 204]);
    const requests = await receiver.requests();
    expect(requests.map((r) => r.body)).toEqual(["n=0", "n=1", "n=2", "n=3", "n=4", "n=5"]);
    expect(requests.map((r) => r.answered_status)).toEqual(statuses);
  });

  it("can be slow, is reachable as {name}.receiver.test, and forgets on reset", async () => {
    const name = `sub-${crypto.randomUUID()}`;
    const receiver = receiverControl({ name });
    await receiver.script([{ delay_ms: 300, body: { ok: true } }]);
    const started = Date.now();
    const response = await fetch(`https://${name}.receiver.test/any/path?x=1`, {
      method: "POST",
      headers: { "webhook-id": "msg_1" },
      body: "{}",
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(await response.json()).toEqual({ ok: true });
    const [request] = await receiver.requests();
    expect(request).toMatchObject({ path: "/any/path", headers: { "webhook-id": "msg_1" }, body: "{}" });
    await receiver.reset();
    expect(await receiver.requests()).toEqual([]);
  });
});
