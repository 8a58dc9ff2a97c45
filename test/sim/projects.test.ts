import { describe, expect, it } from "vitest";
import { createSimulator } from "../../sim/app";
import { seedWatchedProject, WATCHED_PROJECT_ID } from "../../sim/demo";
import { simTenant } from "./helpers";

// Projects as a watch sees them: batches of both generations in one project, the list endpoints'
// project, status and creation filters with their pagination, and batches started over time through
// the demo control route.

/** The shared sim tenant, its `get` checking for a 200 and reading the JSON. */
function tenant(name: string) {
  const { sim, get } = simTenant(name, "http://llamacloud.test");
  const json = async <T>(path: string): Promise<T> => {
    const res = await get(path);
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as T;
  };
  return { sim, get: json };
}

interface Seed {
  id: string;
  project_id: string;
  start_at: "running" | "end";
}

/**
 * What the list filters must tell apart, as v1 jobs or v2 batches: `running` of them running in
 * prj-a (`<prefix>-p-0`…), one finished in prj-a (`<prefix>-p-done`), one running in prj-b.
 */
async function seedProjects(create: (seed: Seed) => Promise<unknown>, prefix: string, running: number) {
  for (let i = 0; i < running; i++)
    await create({ id: `${prefix}-p-${i}`, project_id: "prj-a", start_at: "running" });
  await create({ id: `${prefix}-p-done`, project_id: "prj-a", start_at: "end" });
  await create({ id: `${prefix}-other`, project_id: "prj-b", start_at: "running" });
}

interface V1Page {
  items: { id: string; status: string; project_id: string }[];
  total_size: number;
}
interface V2Page {
  items: { id: string; status: string; project_id: string }[];
  next_page_token: string;
}

describe("projects in the simulator", () => {
  it("lists only a project's v1 jobs of one status, page by page with offset and total_size", async () => {
    const { sim, get } = tenant("v1-project");
    await seedProjects(sim.createJob, "bjb", 7);

    const seen: string[] = [];
    for (let offset = 0; ; offset += 3) {
      const page = await get<V1Page>(
        `/api/v1/beta/batch-processing?project_id=prj-a&status=running&limit=3&offset=${offset}`,
      );
      expect(page.total_size).toBe(7);
      seen.push(...page.items.map((job) => job.id));
      if (offset + page.items.length >= page.total_size) break;
    }
    expect(seen.sort()).toEqual(Array.from({ length: 7 }, (_, i) => `bjb-p-${i}`));
  });

  it("lists a project's v2 batches by status and by creation time, following page tokens", async () => {
    const { sim, get } = tenant("v2-project");
    await seedProjects(sim.createBatch, "bat", 5);

    const running: string[] = [];
    let token = "";
    do {
      const page = await get<V2Page>(
        `/api/v2/batches?project_id=prj-a&status=RUNNING&page_size=2${token ? `&page_token=${token}` : ""}`,
      );
      running.push(...page.items.map((batch) => batch.id));
      token = page.next_page_token;
    } while (token);
    expect(running.sort()).toEqual(["bat-p-0", "bat-p-1", "bat-p-2", "bat-p-3", "bat-p-4"]);

    const cutoff = new Date(Date.now() + 1).toISOString();
    await new Promise((r) => setTimeout(r, 5));
    await sim.createBatch({ id: "bat-p-new", project_id: "prj-a" });
    const recent = await get<V2Page>(`/api/v2/batches?project_id=prj-a&created_at_on_or_after=${cutoff}`);
    expect(recent.items.map((batch) => batch.id)).toEqual(["bat-p-new"]);
  });

  it("starts batches over time through the demo control route, v1 and v2 taking turns", async () => {
    const { sim, get } = tenant("demo-route");
    const first = await sim.startDemoBatch();
    const second = await sim.startDemoBatch();
    const third = await sim.startDemoBatch({ api: "v2", project_id: "prj-mine" });
    expect([first, second, third]).toEqual([
      { id: "bat-demo-new-1", api: "v2", project_id: WATCHED_PROJECT_ID },
      { id: "bjb-demo-new-2", api: "v1", project_id: WATCHED_PROJECT_ID },
      { id: "bat-demo-new-3", api: "v2", project_id: "prj-mine" },
    ]);
    const v2 = await get<V2Page>(`/api/v2/batches?project_id=${WATCHED_PROJECT_ID}`);
    expect(v2.items.map((batch) => batch.id)).toEqual(["bat-demo-new-1"]);
    const v1 = await get<V1Page>(`/api/v1/beta/batch-processing?project_id=${WATCHED_PROJECT_ID}`);
    expect(v1.items.map((job) => job.id)).toEqual(["bjb-demo-new-2"]);
    await expect(sim.startDemoBatch({ api: "v3" } as never)).rejects.toThrow(/400/);
  });

  it("seeds the watched demo project with running and finished batches of both generations", async () => {
    const simulator = createSimulator();
    const world = simulator.worlds.get("llx-demo");
    const ids = seedWatchedProject(world);
    const v1 = ids.filter((id) => id.startsWith("bjb-")).map((id) => world.jobs.get(id));
    const v2 = ids.filter((id) => id.startsWith("bat-")).map((id) => world.batches.get(id));
    expect(v1.every((job) => job?.projectId === WATCHED_PROJECT_ID)).toBe(true);
    expect(v2.every((batch) => batch?.projectId === WATCHED_PROJECT_ID)).toBe(true);
    const list = async (path: string) => {
      const res = await simulator.fetch(
        new Request(`http://sim${path}`, { headers: { authorization: "Bearer llx-demo" } }),
      );
      return ((await res.json()) as { items: { id: string; status: string }[] }).items;
    };
    const v1Listed = await list(`/api/v1/beta/batch-processing?project_id=${WATCHED_PROJECT_ID}`);
    const v2Listed = await list(`/api/v2/batches?project_id=${WATCHED_PROJECT_ID}`);
    // At least one of each generation is over already (a first scan must leave it) and one is not.
    const v1Terminal = ["completed", "failed", "cancelled"];
    const v2Terminal = ["COMPLETED", "FAILED", "CANCELLED"];
    expect(v1Listed.some((job) => v1Terminal.includes(job.status))).toBe(true);
    expect(v1Listed.some((job) => !v1Terminal.includes(job.status))).toBe(true);
    expect(v2Listed.some((batch) => v2Terminal.includes(batch.status))).toBe(true);
    expect(v2Listed.some((batch) => !v2Terminal.includes(batch.status))).toBe(true);
  });
});
