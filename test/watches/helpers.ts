import { env } from "cloudflare:workers";
import type { InferRequestType } from "hono/client";
import type { WatchJson } from "../../src/present/watches";
import { client, expectJson, type World } from "../helpers/app";

type WatchBody = InferRequestType<ReturnType<typeof client>["api"]["watches"]["$post"]>["json"];

/** Creates a watch through the API (201) and answers it. */
export async function createWatch(w: World, body: WatchBody): Promise<WatchJson> {
  return (await expectJson(client(w).api.watches.$post({ json: body }), 201)).watch;
}

/** The watch as GET /api/watches lists it. */
export async function watchOf(w: World, id: string): Promise<WatchJson> {
  const { watches } = await expectJson(client(w).api.watches.$get(), 200);
  const found = watches.find((watch) => watch.id === id);
  if (!found) throw new Error(`watch ${id} is not listed`);
  return found;
}

/** The ids of the tracked jobs a watch found, sorted (straight from D1: every job, any page). */
export async function jobsFoundBy(watchId: string): Promise<string[]> {
  const { results } = await env.DB.prepare("select job_id from jobs where watch_id = ? order by job_id")
    .bind(watchId)
    .all<{ job_id: string }>();
  return results.map((row) => row.job_id);
}

/** Every tracked job id, sorted. */
export async function trackedIds(): Promise<string[]> {
  const { results } = await env.DB.prepare("select job_id from jobs order by job_id").all<{
    job_id: string;
  }>();
  return results.map((row) => row.job_id);
}
