// GET /metrics read with a real Prometheus text parser: the families the README lists with HELP and
// TYPE, label values escaped, read auth, and counters that match what happened and never go down.
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { beforeEach, describe, expect, it } from "vitest";
import { ADMIN, call, READ_TOKEN, type World, world } from "../helpers/app";
import { insertJob, resetDatabase } from "../helpers/d1";
import { pollNow, trackRunning } from "../helpers/jobs";
import { tick } from "../helpers/tick";
import { MINUTE } from "../helpers/time";
import { upstream } from "../helpers/upstream";
import { receiver, subscribe } from "../notifications/helpers";

type Family = ReturnType<typeof parsePrometheusTextFormat>[number];

async function scrape(w: World): Promise<Family[]> {
  const res = await call(w, "/metrics", { headers: { authorization: `Bearer ${READ_TOKEN}` } });
  expect(res.status, await res.clone().text()).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  return parsePrometheusTextFormat(await res.text());
}

function family(families: Family[], name: string): Family {
  const found = families.find((f) => f.name === name);
  if (!found) throw new Error(`no ${name} in the metrics`);
  return found;
}

/** One sample's value; 0 when no sample has these labels. */
function value(families: Family[], name: string, labels: Record<string, string> = {}): number {
  const sample = family(families, name).metrics.find((m) =>
    Object.entries(labels).every(([k, v]) => m.labels?.[k] === v),
  );
  return sample ? Number(sample.value) : 0;
}

/** Every counter sample, keyed by name and labels. */
function counterValues(families: Family[]): Map<string, number> {
  const values = new Map<string, number>();
  for (const f of families.filter((f) => f.type === "COUNTER")) {
    for (const m of f.metrics) {
      values.set(`${f.name}${JSON.stringify(m.labels ?? {})}`, Number(m.value));
    }
  }
  return values;
}

describe("GET /metrics", () => {
  beforeEach(resetDatabase);

  it("needs the read rules of the API", async () => {
    const w = world("metrics-auth");
    const anonymous = await call(w, "/metrics");
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toContain("Bearer");
    expect((await call(w, "/metrics", { headers: ADMIN })).status).toBe(200);
    const basic = { authorization: `Basic ${btoa(`prometheus:${READ_TOKEN}`)}` };
    expect((await call(w, "/metrics", { headers: basic })).status).toBe(200);
    const open = world("metrics-open", { PUBLIC_READ: "true" });
    expect((await call(open, "/metrics")).status).toBe(200);
    const closed = world("metrics-closed", { ADMIN_TOKEN: "", READ_TOKEN: "" });
    expect((await call(closed, "/metrics")).status).toBe(503);
  });

  it("names every family with HELP and TYPE, gauges by label, and no tick before the first", async () => {
    const w = world("metrics-shape");
    await trackRunning(w, "bjb-m-run");
    await insertJob({ jobId: "bjb-m-done", status: "completed", state: "finished" });
    await insertJob({ jobId: "bat-m-v2", api: "v2", status: null, state: "active" });
    const families = await scrape(w);
    for (const f of families) {
      expect(f.help, f.name).toBeTruthy();
      expect(["GAUGE", "COUNTER"]).toContain(f.type);
    }
    expect(family(families, "batchwatch_jobs").type).toBe("GAUGE");
    expect(value(families, "batchwatch_jobs", { state: "active", status: "running", api: "v1" })).toBe(1);
    expect(value(families, "batchwatch_jobs", { state: "finished", status: "completed", api: "v1" })).toBe(1);
    expect(value(families, "batchwatch_jobs", { state: "active", status: "", api: "v2" })).toBe(1);
    expect(family(families, "batchwatch_deliveries").metrics).toHaveLength(3);
    expect(families.find((f) => f.name === "batchwatch_last_tick_timestamp_seconds")).toBeUndefined();
    expect(family(families, "batchwatch_polls_total").type).toBe("COUNTER");
    expect(value(families, "batchwatch_polls_total", { outcome: "changed" })).toBe(1);
    expect(value(families, "batchwatch_deliveries_attempted_total", { result: "delivered" })).toBe(0);

    const at = Date.now() + MINUTE;
    await tick(w, at);
    const after = await scrape(w);
    expect(value(after, "batchwatch_last_tick_timestamp_seconds")).toBeGreaterThanOrEqual(at / 1000);
    expect(value(after, "batchwatch_last_tick_duration_seconds")).toBeGreaterThanOrEqual(0);
    expect(family(after, "batchwatch_last_tick_timestamp_seconds").type).toBe("GAUGE");
  });

  it("escapes label values: an upstream status with quotes, backslashes and a line feed reads back as sent", async () => {
    const w = world("metrics-escape");
    const status = 'we"ird\\status\nwith "all" three';
    await insertJob({ jobId: "bjb-m-odd", status, state: "active" });
    const families = await scrape(w);
    expect(value(families, "batchwatch_jobs", { state: "active", status, api: "v1" })).toBe(1);
  });

  it("counts every status request, and its counters never go down over a run of ticks", async () => {
    const w = world("metrics-run");
    const sim = upstream(w);
    const r = receiver("metrics-run");
    await subscribe(w, { url: r.url(), events: ["job.status_changed", "job.progressed"] });
    await trackRunning(w, "bjb-m-a");
    await trackRunning(w, "bjb-m-b");
    await r.script([{ status: 500, times: 1 }]);

    let previous = counterValues(await scrape(w));
    let at = Date.now();
    for (let round = 0; round < 6; round++) {
      if (round % 2 === 0) await sim.advance("bjb-m-a");
      if (round === 3) await sim.fault({ kind: "server_error", job_id: "bjb-m-b", times: 1 });
      at += 11 * MINUTE;
      await tick(w, at);
      if (round === 4) expect((await pollNow(w, "bjb-m-b")).status).toBeLessThan(600);
      const now = counterValues(await scrape(w));
      for (const [key, before] of previous) expect(now.get(key), key).toBeGreaterThanOrEqual(before);
      previous = now;
    }

    const families = await scrape(w);
    const polls = ["changed", "unchanged", "failed"].map((outcome) =>
      value(families, "batchwatch_polls_total", { outcome }),
    );
    // Every status request the simulator saw is counted once: tracks, ticks and the manual poll.
    const seen = (await sim.statusRequests()).length;
    expect(polls.reduce((a, b) => a + b, 0)).toBe(seen);
    expect(polls[0]).toBeGreaterThanOrEqual(5); // 2 tracks + 3 advances of bjb-m-a
    expect(polls[2]).toBe(1);
    expect(value(families, "batchwatch_poll_failures_total", { kind: "server_error" })).toBe(1);

    // Deliveries: the receiver failed the first attempt, and every notification reached it since.
    const received = (await r.requests()).length;
    const delivered = value(families, "batchwatch_deliveries_attempted_total", { result: "delivered" });
    const failed = value(families, "batchwatch_deliveries_attempted_total", { result: "failed" });
    expect(failed).toBe(1);
    expect(delivered + failed).toBe(received);
    expect(value(families, "batchwatch_deliveries", { status: "delivered" })).toBe(delivered);
  });
});
