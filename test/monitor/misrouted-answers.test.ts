// An answer from LlamaCloud about another job or batch than the one asked for (a misrouting proxy or
// cache; the simulator's `malformed` variant `other_id`) is refused as malformed: recorded on the
// asked-for job, never applied to it or to anything else, and the next good poll recovers. Through
// the real tick and the manual poll route, for a v1 job and a v2 batch.
import { beforeEach, describe, expect, it } from "vitest";
import { expectError, expectJson, type Job, type World, world } from "../helpers/app";
import { countRows, resetDatabase } from "../helpers/d1";
import { history, job, pollNow, trackNewBatch, trackRunning } from "../helpers/jobs";
import { tick } from "../helpers/tick";
import { MINUTE } from "../helpers/time";
import { requestsDuring, upstream } from "../helpers/upstream";

beforeEach(resetDatabase);

/** The two generations: how a tracked one starts and moves upstream, and the answer that names it. */
const GENERATIONS = [
  {
    api: "v1",
    id: "bjb-misrouted",
    endpoint: "status",
    message: "LlamaCloud answered with a different job than the one asked for.",
    start: (w: World) => trackRunning(w, "bjb-misrouted"),
    move: (w: World) => upstream(w).advance("bjb-misrouted"),
    path: "/api/v1/beta/batch-processing/bjb-misrouted",
    answeredId: (body: unknown) => (body as { job: { id: string } }).job.id,
  },
  {
    api: "v2",
    id: "bat-misrouted",
    endpoint: "batch",
    message: "LlamaCloud answered with a different batch than the one asked for.",
    start: (w: World) =>
      trackNewBatch(w, { id: "bat-misrouted", total_files: 4, files_per_step: 4, start_at: "mapped" }),
    move: (w: World) => upstream(w).advanceBatch("bat-misrouted", { to: "end" }),
    path: "/api/v2/batches/bat-misrouted?expand=results",
    answeredId: (body: unknown) => (body as { id: string }).id,
  },
] as const;

type Generation = (typeof GENERATIONS)[number];

/** How a poll is made: by the cron tick at a given time, or by an operator's manual poll. */
const ROUTES = [
  {
    route: "tick",
    refuse: (w: World, _: Generation, at: number) => tick(w, at),
    recover: (w: World, _: Generation, at: number) => tick(w, at),
  },
  {
    route: "manual poll",
    refuse: async (w: World, generation: Generation) => {
      const error = await expectError(await pollNow(w, generation.id), 502, "upstream_error");
      expect(error.message).toBe(`The poll failed: ${generation.message}`);
    },
    recover: async (w: World, generation: Generation) => {
      await expectJson(pollNow(w, generation.id), 200);
    },
  },
] as const;

/** What batchwatch shows of a job's upstream state. */
function counts(shown: Job) {
  const { status, total_items, processed_items, failed_items, skipped_items, progress_percentage } = shown;
  return { status, total_items, processed_items, failed_items, skipped_items, progress_percentage };
}

/** The next answer about the generation's job or batch will name another one. */
function misroute(w: World, generation: Generation) {
  const { id, endpoint } = generation;
  return upstream(w).fault({ kind: "malformed", variant: "other_id", job_id: id, endpoint });
}

describe.each(GENERATIONS)("an answer about another $api id", (generation) => {
  it.each(ROUTES)("is refused as malformed by the $route, and the next good poll recovers", async (way) => {
    const w = world(`misrouted-${generation.api}-${way.route.replace(" ", "-")}`);
    const t0 = Date.now();
    const tracked = await generation.start(w);
    // Upstream has moved on, so an applied answer would show.
    await generation.move(w);
    await misroute(w, generation);

    const asked = await requestsDuring(w, () => way.refuse(w, generation, t0 + 2 * MINUTE));
    expect(asked.map((r) => [r.endpoint, r.job_id, r.fault, r.status])).toEqual([
      [generation.endpoint, generation.id, "malformed", 200],
    ]);
    const refused = await job(w, generation.id);
    expect(refused.tracking).toMatchObject({
      state: "active",
      consecutive_failures: 1,
      last_error: { code: "malformed", message: generation.message },
    });
    expect(counts(refused)).toEqual(counts(tracked));
    // No snapshot and no other job: the answer was applied to nothing.
    expect(await history(w, generation.id)).toHaveLength(1);
    expect(await countRows("snapshots")).toBe(1);
    expect(await countRows("jobs")).toBe(1);

    await way.recover(w, generation, Date.parse(refused.tracking.next_poll_at ?? ""));
    const recovered = await job(w, generation.id);
    expect(recovered.tracking).toMatchObject({ consecutive_failures: 0, last_error: null });
    expect(recovered.processed_items).toBeGreaterThan(tracked.processed_items ?? 0);
    expect(await history(w, generation.id)).toHaveLength(2);
  });

  it("is, from the simulator, the real answer with only its id changed, to one of the same kind", async () => {
    const w = world(`other-id-${generation.api}`);
    await generation.start(w);
    const read = async () => {
      const url = `http://llamacloud.test${generation.path}`;
      const response = await fetch(url, { headers: { authorization: `Bearer ${w.key}` } });
      expect(response.status).toBe(200);
      return response.json();
    };
    const real = await read();
    await misroute(w, generation);
    const misrouted = await read();
    const other = generation.answeredId(misrouted);
    expect(other).toMatch(new RegExp(`^${generation.id.slice(0, 4)}[0-9a-f]{12}$`));
    expect(JSON.stringify(misrouted).replace(other, generation.id)).toBe(JSON.stringify(real));
  });
});
