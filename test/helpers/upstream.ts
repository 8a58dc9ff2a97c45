// This world's side of the LlamaCloud simulator.
import { simControl } from "../../sim/control";
import type { CreateJobInput, FaultInput } from "../../sim/control-routes";
import type { World } from "./app";

/**
 * This world's side of the LlamaCloud simulator. Jobs move only when told to (manual clock) unless a
 * test asks otherwise.
 */
export function upstream(w: World) {
  const sim = simControl({ apiKey: w.key });
  return {
    ...sim,
    createJob: (input: CreateJobInput) => sim.createJob({ mode: "manual", ...input }),
    fault: (input: FaultInput) => sim.injectFault(input),
    /** Status requests the monitor made, optionally about one job. */
    statusRequests: (jobId?: string) => sim.requests({ job_id: jobId, endpoint: "status" }),
  };
}

/**
 * How most upstream-driven tests start: their world, its side of the simulator, and the time their
 * ticks count from.
 */
export function withUpstream<W extends World>(w: W) {
  return { w, sim: upstream(w), t0: Date.now() };
}

/** The simulator's latest request-log seq for this world: ask `requests({ since_seq })` for what came after. */
export async function lastSeq(w: World): Promise<number> {
  return (await upstream(w).requests()).at(-1)?.seq ?? 0;
}

/** The requests the monitor made upstream while `action` ran (a tick, a track, a poll). */
export async function requestsDuring(w: World, action: () => Promise<unknown>) {
  const seq = await lastSeq(w);
  await action();
  return upstream(w).requests({ since_seq: seq });
}
