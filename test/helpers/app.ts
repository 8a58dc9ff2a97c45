// The app as a test talks to it: a world of its own upstream, requests through the real app, and
// typed answers.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { hc, type InferRequestType, type InferResponseType } from "hono/client";
import { expect } from "vitest";
import { type AppType, app } from "../../src/app";
import type { Bindings } from "../../src/config";
import { errorSchema } from "../../src/http/errors";

export const ADMIN_TOKEN = "admin-token-for-tests";
export const READ_TOKEN = "read-token-for-tests";
export const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` };

/**
 * A test's own LlamaCloud world: the simulator keeps separate jobs, faults and request logs per API
 * key, so test files running side by side never see each other's upstream.
 */
export interface World {
  key: string;
  env: Bindings;
}

export function world(name: string, vars: Partial<Bindings> = {}): World {
  const key = `llx-${name}-${crypto.randomUUID()}`;
  return { key, env: { ...(env as unknown as Bindings), LLAMA_CLOUD_API_KEY: key, ...vars } };
}

export interface CallInit {
  method?: string;
  headers?: Record<string, string>;
  json?: unknown;
  body?: BodyInit;
}

const ORIGIN = "http://batchwatch.test";

/** Sends a request through the real app with this world's bindings; waits for its background work. */
async function send(w: World, request: Request): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await app.request(request, undefined, w.env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** A request the typed client cannot express (raw bodies, bad input, pages): through the real app. */
export async function call(w: World, path: string, init: CallInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  let body = init.body;
  if (init.json !== undefined) {
    body = JSON.stringify(init.json);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  return send(w, new Request(`${ORIGIN}${path}`, { method: init.method ?? "GET", headers, body }));
}

/**
 * The typed API client (`hono/client` over the app's `AppType`) for this world, sending the admin
 * token unless given other headers: inputs and answers are checked by the compiler, not cast.
 */
export function client(w: World, headers: Record<string, string> = ADMIN) {
  return hc<AppType>(ORIGIN, {
    headers,
    fetch: (input: RequestInfo | URL, init?: RequestInit) => send(w, new Request(input, init)),
  });
}

type Client = ReturnType<typeof client>;
export type Job = InferResponseType<Client["api"]["jobs"][":job_id"]["$get"], 200>["job"];
export type Snapshot = InferResponseType<
  Client["api"]["jobs"][":job_id"]["history"]["$get"],
  200
>["snapshots"][number];
export type TrackBody = InferRequestType<Client["api"]["jobs"]["$post"]>["json"];

interface Answer {
  status: number;
  clone(): { text(): Promise<string> };
  json(): Promise<unknown>;
}

type JsonOf<R> = R extends { json(): Promise<infer T> } ? T : never;

/**
 * The JSON of an answer that must have `status`, typed as the API declares it for that status (the
 * client's answer is a union over every status the route declares; the check here is what narrows
 * it); any other status fails the test, showing the body.
 */
export async function expectJson<R extends Answer, S extends R["status"]>(
  answer: R | Promise<R>,
  status: S,
): Promise<JsonOf<Extract<R, { status: S }>>> {
  const res = await answer;
  expect(res.status, await res.clone().text()).toBe(status);
  return (await res.json()) as JsonOf<Extract<R, { status: S }>>;
}

export async function admin(w: World, path: string, init: CallInit = {}): Promise<Response> {
  return call(w, path, { ...init, headers: { ...ADMIN, ...init.headers } });
}

/** The `error` of an error answer (raw or from the client), read with the API's own schema. */
export async function errorOf(res: { json(): Promise<unknown> }) {
  return errorSchema.parse(await res.json()).error;
}

/**
 * Checks that an answer is the error `status` with `code` (any other status fails the test, showing
 * the body), and gives the error for further checks of its message.
 */
export async function expectError(res: Answer, status: number, code: string) {
  expect(res.status, await res.clone().text()).toBe(status);
  const error = await errorOf(res);
  expect(error.code).toBe(code);
  return error;
}
