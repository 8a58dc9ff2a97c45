import { describe, expect, it } from "vitest";
import type { BatchJson, ChildJobJson, CursorPageJson } from "../../sim/batch-model";
import { simTenant } from "./helpers";

// The simulator's v2 batches through its upstream API, reached the way the worker reaches them: a
// plain fetch from inside workerd, answered by miniflare's outboundService in Node.

const V2 = "http://llamacloud.test/api/v2";

function tenant(name: string) {
  const { sim, get } = simTenant(`v2-${name}`, V2);
  const batch = async (id: string) =>
    (await get(`/batches/${id}?expand=results`)).json() as Promise<BatchJson>;
  const children = async (ids: string[], extra = "", product = "parse") => {
    const query = ids.map((id) => `job_ids=${encodeURIComponent(id)}`).join("&");
    return (await get(`/${product}?${query}${extra}`)).json() as Promise<CursorPageJson<ChildJobJson>>;
  };
  return { sim, get, batch, children };
}

function jobIds(batch: BatchJson): string[] {
  return (batch.results ?? []).flatMap((entry) => (entry.job_reference ? [entry.job_reference.id] : []));
}

describe("the mapping phase", () => {
  it("shows results null at first, then growing by files_per_step, children following a step behind", async () => {
    const { sim, batch, children } = tenant("mapping");
    const view = await sim.createBatch({ total_files: 5, files_per_step: 2, child_steps: 2 });
    const seen: [string, number | null, string][] = [];
    for (let step = 0; step < 9; step++) {
      const answer = await batch(view.id);
      const ids = jobIds(answer);
      const statuses = ids.length ? (await children(ids)).items.map((child) => child.status).sort() : [];
      seen.push([answer.status, answer.results?.length ?? null, statuses.join(",")]);
      await sim.advanceBatch(view.id);
    }
    expect(seen).toEqual([
      ["PENDING", null, ""],
      ["RUNNING", null, ""],
      ["RUNNING", 2, "PENDING,PENDING"],
      ["RUNNING", 4, "PENDING,PENDING,RUNNING,RUNNING"],
      ["RUNNING", 5, "PENDING,RUNNING,RUNNING,RUNNING,RUNNING"],
      ["RUNNING", 5, "COMPLETED,COMPLETED,RUNNING,RUNNING,RUNNING"],
      ["RUNNING", 5, "COMPLETED,COMPLETED,COMPLETED,COMPLETED,RUNNING"],
      ["COMPLETED", 5, "COMPLETED,COMPLETED,COMPLETED,COMPLETED,COMPLETED"],
      ["COMPLETED", 5, "COMPLETED,COMPLETED,COMPLETED,COMPLETED,COMPLETED"],
    ]);
  });

  it("moves the batch's updated_at with its status and results only; each child has its own", async () => {
    const { sim, batch, children } = tenant("updated");
    const view = await sim.createBatch({ total_files: 2, completes_before_children: true, child_steps: 3 });
    await sim.advanceBatch(view.id, { to: "mapped" });
    const mapped = await batch(view.id);
    expect(mapped.status).toBe("COMPLETED");
    const before = await children(jobIds(mapped));
    await sim.advanceBatch(view.id, { to: "end" });
    const after = await batch(view.id);
    expect(after.updated_at).toBe(mapped.updated_at);
    const settled = await children(jobIds(after));
    expect(settled.items.every((child) => child.status === "COMPLETED")).toBe(true);
    for (const child of settled.items) {
      const earlier = before.items.find((item) => item.id === child.id);
      expect(Date.parse(child.updated_at)).toBeGreaterThan(Date.parse(earlier?.updated_at ?? ""));
      expect(child.created_at).toBe(earlier?.created_at);
    }
  });
});

describe("a batch and its children", () => {
  it("is COMPLETED while children still run when told so, and otherwise waits for them", async () => {
    const { sim, batch, children } = tenant("before-children");
    const early = await sim.createBatch({ total_files: 3, completes_before_children: true });
    const late = await sim.createBatch({ total_files: 3 });
    for (const id of [early.id, late.id]) await sim.advanceBatch(id, { to: "mapped" });
    const [earlyAnswer, lateAnswer] = [await batch(early.id), await batch(late.id)];
    expect(earlyAnswer.status).toBe("COMPLETED");
    expect(lateAnswer.status).toBe("RUNNING");
    const running = (await children(jobIds(earlyAnswer))).items.filter(
      (child) => child.status !== "COMPLETED",
    );
    expect(running.length).toBeGreaterThan(0);
    const ended = await sim.advanceBatch(late.id, { to: "end" });
    expect(ended.batch.answer.status).toBe("COMPLETED");
    expect(ended.batch.sim.children).toEqual({ COMPLETED: 3 });
  });

  it("lists unmappable files with an error and no job, and fails children with messages", async () => {
    const { sim, batch, children } = tenant("outcomes");
    const view = await sim.createBatch({
      total_files: 10,
      unmappable_files: 2,
      failed_children: 3,
      cancelled_children: 1,
      start_at: "end",
    });
    const answer = await batch(view.id);
    expect(answer.results).toHaveLength(10);
    const unmapped = (answer.results ?? []).filter((entry) => entry.job_reference === null);
    expect(unmapped).toHaveLength(2);
    for (const entry of unmapped) expect(entry.error_message).toMatch(/\w/);
    const page = await children(jobIds(answer), "&page_size=100");
    const byStatus = (status: string) => page.items.filter((child) => child.status === status);
    expect(byStatus("FAILED")).toHaveLength(3);
    expect(byStatus("CANCELLED")).toHaveLength(1);
    expect(byStatus("COMPLETED")).toHaveLength(4);
    for (const child of byStatus("FAILED")) expect(child.error_message).toMatch(/\w/);
    for (const child of byStatus("COMPLETED")) expect(child.error_message).toBeNull();
    expect(view.sim.children).toEqual({ COMPLETED: 4, FAILED: 3, CANCELLED: 1 });
  });

  it("has a THROTTLED phase in which nothing moves; waiting extract jobs say THROTTLED, parse jobs PENDING", async () => {
    const { sim, batch, children } = tenant("throttled");
    const parse = await sim.createBatch({ total_files: 4, throttle_after_files: 1, throttled_steps: 3 });
    const extract = await sim.createBatch({
      job_type: "extract_v2",
      total_files: 4,
      throttle_after_files: 1,
      throttled_steps: 3,
    });
    for (const id of [parse.id, extract.id]) await sim.advanceBatch(id, { steps: 3 });
    const statuses: string[] = [];
    for (let step = 0; step < 3; step++) {
      const [p, e] = [await batch(parse.id), await batch(extract.id)];
      statuses.push(p.status, e.status);
      expect(p.results).toHaveLength(1);
      expect((await children(jobIds(p))).items.map((child) => child.status)).toEqual(["PENDING"]);
      expect((await children(jobIds(e), "", "extract")).items.map((child) => child.status)).toEqual([
        "THROTTLED",
      ]);
      for (const id of [parse.id, extract.id]) await sim.advanceBatch(id);
    }
    expect(statuses).toEqual(Array(6).fill("THROTTLED"));
    expect((await batch(parse.id)).status).toBe("RUNNING");
    expect((await batch(parse.id)).results).toHaveLength(2);
  });

  it("cancels: mapping stops, jobs not ended are CANCELLED, ended ones keep their outcome", async () => {
    const { sim, get, batch, children } = tenant("cancel");
    const view = await sim.createBatch({ total_files: 6, child_steps: 1, start_at: "running" });
    await sim.advanceBatch(view.id, { steps: 4 });
    const cancel = await get(`/batches/${view.id}/cancel`, { method: "POST" });
    expect(cancel.status).toBe(200);
    expect(await cancel.json()).toMatchObject({ id: view.id, status: "CANCELLED", results: null });
    const answer = await batch(view.id);
    expect(answer.results).toHaveLength(4);
    const statuses = (await children(jobIds(answer))).items.map((child) => child.status).sort();
    expect(statuses).toEqual(["CANCELLED", "CANCELLED", "COMPLETED", "COMPLETED"]);
    await sim.advanceBatch(view.id, { to: "end" });
    expect((await batch(view.id)).results).toHaveLength(4);
    const again = await get(`/batches/${view.id}/cancel`, { method: "POST" });
    expect(again.status).toBe(400);
    expect(await again.json()).toEqual({ detail: "Cannot cancel a batch with status 'CANCELLED'" });
  });

  it("moves realtime batches by the tenant's clock, at the simulator's speed", async () => {
    const { sim, batch } = tenant("realtime");
    const view = await sim.createBatch({ mode: "realtime", total_files: 4, speed: 2, pending_ms: 1000 });
    expect((await batch(view.id)).status).toBe("PENDING");
    // RUNNING after 1 s, then a step every 0.5 s (2 files/s): 3 steps in 1.5 s, one file each.
    const { batch_changes } = await sim.advanceClock(1000 + 1500);
    expect(batch_changes[0]).toMatchObject({ batchId: view.id, statuses: ["RUNNING"] });
    expect((await batch(view.id)).results).toHaveLength(3);
    await sim.advanceClock(10_000);
    expect((await sim.batch(view.id)).sim).toMatchObject({ finished: true, children: { COMPLETED: 4 } });
  });
});

describe("pagination at 250 children", () => {
  it("answers ≤ 100 job_ids a request in pages, without gaps or duplicates, '' on the last", async () => {
    const { sim, get, batch, children } = tenant("pages");
    const view = await sim.createBatch({ total_files: 250, files_per_step: 25, start_at: "end" });
    const ids = jobIds(await batch(view.id));
    expect(new Set(ids).size).toBe(250);
    const seen: string[] = [];
    const tokens: string[] = [];
    for (let start = 0; start < ids.length; start += 100) {
      let token = "";
      do {
        const page = await children(
          ids.slice(start, start + 100),
          `&page_size=30${token ? `&page_token=${token}` : ""}`,
        );
        expect(page.items.length).toBeLessThanOrEqual(30);
        seen.push(...page.items.map((child) => child.id));
        token = page.next_page_token;
        tokens.push(token);
      } while (token !== "");
    }
    expect(seen.sort()).toEqual([...ids].sort());
    // 100 ids in pages of 30: 4 pages, the last one ending with "".
    expect(tokens.filter((token) => token === "")).toHaveLength(3);
    expect(tokens).toHaveLength(4 + 4 + 2);

    const tooMany = ids
      .slice(0, 101)
      .map((id) => `job_ids=${id}`)
      .join("&");
    const refused = await get(`/parse?${tooMany}`);
    expect(refused.status).toBe(422);
    expect(await refused.json()).toMatchObject({ detail: [{ loc: ["query", "job_ids"] }] });
    expect((await get("/parse?page_size=101")).status).toBe(422);
    expect((await get("/parse?page_token=garbage")).status).toBe(400);
    // Without job_ids the list is every parse job of the tenant; a default page is 50.
    const all = (await (await get("/parse")).json()) as CursorPageJson<ChildJobJson>;
    expect(all.items).toHaveLength(50);
  });
});
