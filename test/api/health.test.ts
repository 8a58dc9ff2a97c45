// GET /healthz tells the truth: 503 when the cron has stopped or LlamaCloud refuses the key, warnings
// that do not fail it, no auth, no secret, one D1 round trip.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { TICK_OVERDUE_MS } from "../../src/monitor/health";
import { call, type World, world } from "../helpers/app";
import { resetDatabase } from "../helpers/d1";
import { meterD1 } from "../helpers/d1-meter";
import { pollNow, trackRunning } from "../helpers/jobs";
import { tick } from "../helpers/tick";
import { MINUTE } from "../helpers/time";
import { upstream } from "../helpers/upstream";

interface Health {
  ok: boolean;
  last_tick_at: string | null;
  active_jobs: number;
  problems: { code: string; severity: string; message: string }[];
}

async function health(w: World): Promise<{ status: number; body: Health }> {
  const res = await call(w, "/healthz");
  expect(res.headers.get("cache-control")).toBe("no-store");
  return { status: res.status, body: (await res.json()) as Health };
}

const codes = (h: Health) => h.problems.map((p) => `${p.severity}:${p.code}`);

describe("/healthz", () => {
  beforeEach(resetDatabase);

  it("is 200 with a warning, not a failure, while callbacks are unsigned", async () => {
    const w = world("health-unsigned");
    await trackRunning(w, "bjb-health-1");
    const { status, body } = await health(w);
    expect(status).toBe(200);
    expect(body).toMatchObject({ ok: true, last_tick_at: null, active_jobs: 1 });
    expect(codes(body)).toEqual(["warning:callbacks_unsigned"]);
    expect(body.problems[0]?.message).toContain("LLAMA_CLOUD_WEBHOOK_SECRET");

    const signed = world("health-signed", { LLAMA_CLOUD_WEBHOOK_SECRET: "whsec-health" });
    expect((await health(signed)).body.problems).toEqual([]);
  });

  it("warns when LLAMA_CLOUD_API_KEY is not set", async () => {
    const w = world("health-no-key", { LLAMA_CLOUD_API_KEY: "", LLAMA_CLOUD_WEBHOOK_SECRET: "s" });
    const { status, body } = await health(w);
    expect(status).toBe(200);
    expect(codes(body)).toEqual(["warning:api_key_missing"]);
  });

  it("turns 503 with the problem named when no tick ran for 3 minutes after the first", async () => {
    const w = world("health-ticks", { LLAMA_CLOUD_WEBHOOK_SECRET: "s" });
    await tick(w, Date.now());
    expect((await health(w)).status).toBe(200);
    // The last tick ended a little over three minutes ago.
    await env.DB.prepare("update ticks set started_at = ?, duration_ms = 0")
      .bind(Date.now() - TICK_OVERDUE_MS - 5_000)
      .run();
    const { status, body } = await health(w);
    expect(status).toBe(503);
    expect(body.ok).toBe(false);
    expect(codes(body)).toEqual(["error:tick_overdue"]);
    expect(body.problems[0]?.message).toMatch(/No tick has run for 3 minutes/);
    await tick(w, Date.now());
    expect((await health(w)).status).toBe(200);
  });

  it("turns 503 within two ticks of LlamaCloud refusing the key, and 200 again after a good poll", async () => {
    const secret = "whsec-never-shown";
    const w = world("health-401", { LLAMA_CLOUD_WEBHOOK_SECRET: secret });
    const sim = upstream(w);
    await trackRunning(w, "bjb-health-401");
    expect((await health(w)).status).toBe(200);

    await sim.setConfig({ revoked: true });
    const start = Date.now();
    let refused: { status: number; body: Health } | undefined;
    for (const at of [start + 2 * MINUTE, start + 40 * MINUTE]) {
      await tick(w, at);
      refused = await health(w);
      if (refused.status === 503) break;
    }
    expect(refused?.status).toBe(503);
    expect(codes(refused?.body as Health)).toEqual(["error:upstream_key_refused"]);
    expect(refused?.body.problems[0]?.message).toContain("LLAMA_CLOUD_API_KEY");
    // Nothing secret in the answer: neither the key nor the callback secret.
    const text = JSON.stringify(refused?.body);
    expect(text).not.toContain(w.key);
    expect(text).not.toContain(secret);

    // The key works again: one good poll (here a manual one) clears it.
    await sim.setConfig({ revoked: false });
    expect((await pollNow(w, "bjb-health-401")).status).toBe(200);
    const back = await health(w);
    expect(back.status).toBe(200);
    expect(back.body.problems).toEqual([]);
  });

  it("counts a 403 as a refused key too, and a server error as no refusal", async () => {
    const w = world("health-403", { LLAMA_CLOUD_WEBHOOK_SECRET: "s" });
    const sim = upstream(w);
    await trackRunning(w, "bjb-health-403");
    await sim.fault({ kind: "server_error", times: 1 });
    await tick(w, Date.now() + 2 * MINUTE);
    expect((await health(w)).status).toBe(200);
    await sim.fault({ kind: "unauthorized", status: 403, forever: true });
    expect((await pollNow(w, "bjb-health-403")).status).toBe(502);
    const { status, body } = await health(w);
    expect(status).toBe(503);
    expect(codes(body)).toEqual(["error:upstream_key_refused"]);
  });

  it("needs no auth and makes one D1 round trip", async () => {
    const w = world("health-trips", { ADMIN_TOKEN: "", READ_TOKEN: "" });
    const counted = meterD1(env.DB);
    const res = await call({ ...w, env: { ...w.env, DB: counted.db } }, "/healthz");
    expect(res.status).toBe(200);
    expect(counted.trips()).toBe(1);
  });
});
