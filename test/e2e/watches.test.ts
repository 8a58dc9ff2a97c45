// Watches end to end: a real `wrangler dev` discovering the simulator's batches over real HTTP, with
// nobody posting them to /api/jobs.

import { describe, expect, it } from "vitest";
import type { JobJson } from "../../src/present/jobs";
import type { WatchJson } from "../../src/present/watches";
import { useStack } from "./harness";

// A one-second base interval: a watch is due again about a second after its scan.
const { stack, sim, api, tickWhenDue, jobs } = useStack({ vars: { POLL_INTERVAL_SECONDS: "1" } });

describe("watches under wrangler dev", () => {
  it("a batch created in the simulator is in /api/jobs within two ticks, with no POST /api/jobs", async () => {
    await sim().createJob({
      id: "bjb-e2e-before",
      project_id: "prj-e2e",
      mode: "manual",
      start_at: "running",
    });
    const created = await api("/api/watches", {
      method: "POST",
      json: { project_id: "prj-e2e", label: "e2e" },
    });
    expect(created.status).toBe(201);
    const { watch } = (await created.json()) as { watch: WatchJson };

    // The first scan takes what is already running.
    await stack().tick();
    expect((await jobs()).map((job) => job.id)).toEqual(["bjb-e2e-before"]);

    // Then batches start, of both generations, and the next ticks find them by themselves.
    const v2 = await sim().startDemoBatch({ api: "v2", project_id: "prj-e2e" });
    const v1 = await sim().startDemoBatch({ api: "v1", project_id: "prj-e2e" });
    let found: JobJson[] = [];
    for (let ticks = 0; ticks < 2; ticks++) {
      await tickWhenDue();
      found = (await jobs()).filter((job) => job.id === v1.id || job.id === v2.id);
      if (found.length === 2) break;
    }
    expect(found.map((job) => [job.id, job.api, job.watch_id]).sort()).toEqual(
      [
        [v2.id, "v2", watch.id],
        [v1.id, "v1", watch.id],
      ].sort(),
    );

    const listed = await api("/api/watches");
    const [after] = ((await listed.json()) as { watches: WatchJson[] }).watches;
    expect(after).toMatchObject({ id: watch.id, jobs_found: 3, last_error: null });

    // The dashboard shows the watch and who found the jobs.
    const page = await fetch(`${stack().url}/`, {
      headers: { authorization: `Basic ${btoa(`me:${stack().readToken}`)}` },
    });
    const html = await page.text();
    expect(html).toContain("Watched projects");
    expect(html).toContain("found by watch e2e");
  });
});
