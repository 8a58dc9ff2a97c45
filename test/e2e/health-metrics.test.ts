// /healthz and /metrics under real `wrangler dev`: the simulator refusing the key turns health 503
// within two ticks and a good poll brings it back; /metrics parses with a Prometheus text parser and
// its counters never go down across the run.
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { describe, expect, it } from "vitest";
import { useStack } from "./harness";

// A one-second base interval (and so backoff) lets consecutive ticks poll the same job.
const { stack, sim, api, tickWhenDue } = useStack({ vars: { POLL_INTERVAL_SECONDS: "1" } });

async function health() {
  const res = await fetch(`${stack().url}/healthz`);
  return {
    status: res.status,
    body: (await res.json()) as { ok: boolean; problems: { code: string; severity: string }[] },
  };
}

async function counters(): Promise<Map<string, number>> {
  const res = await api("/metrics", { token: stack().readToken });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("version=0.0.4");
  const values = new Map<string, number>();
  for (const family of parsePrometheusTextFormat(await res.text())) {
    if (family.type !== "COUNTER") continue;
    for (const m of family.metrics)
      values.set(`${family.name}${JSON.stringify(m.labels ?? {})}`, Number(m.value));
  }
  return values;
}

describe("health and metrics under wrangler dev", () => {
  it("a refused key turns /healthz 503 within two ticks, a good poll turns it back, counters only grow", async () => {
    await sim().createJob({ id: "bjb-e2e-health", mode: "manual", total_items: 10, start_at: "running" });
    expect((await api("/api/jobs", { method: "POST", json: { job_id: "bjb-e2e-health" } })).status).toBe(201);
    const first = await health();
    expect(first.status).toBe(200);
    // The stack signs callbacks only when asked to: unsigned is a warning, not a failure.
    expect(first.body.problems.map((p) => `${p.severity}:${p.code}`)).toEqual(["warning:callbacks_unsigned"]);
    const previous = await counters();

    await sim().setConfig({ revoked: true });
    let refused: Awaited<ReturnType<typeof health>> | undefined;
    for (let i = 0; i < 2 && refused?.status !== 503; i++) {
      await tickWhenDue();
      refused = await health();
    }
    expect(refused?.status).toBe(503);
    expect(refused?.body.ok).toBe(false);
    expect(refused?.body.problems.map((p) => p.code)).toContain("upstream_key_refused");

    await sim().setConfig({ revoked: false });
    expect((await api("/api/jobs/bjb-e2e-health/poll", { method: "POST" })).status).toBe(200);
    expect((await health()).status).toBe(200);

    const now = await counters();
    for (const [key, before] of previous) expect(now.get(key), key).toBeGreaterThanOrEqual(before);
    expect(now.get('batchwatch_polls_total{"outcome":"failed"}')).toBeGreaterThanOrEqual(1);
    expect(now.get('batchwatch_poll_failures_total{"kind":"unauthorized"}')).toBeGreaterThanOrEqual(1);
  });
});
