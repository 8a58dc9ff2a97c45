// What every simulated upstream route shares, v1 and v2 alike: auth, the request log and injected
// faults, applied in the order a real API applies them (a request without a valid key never reaches
// rate limits or handlers), and FastAPI's error bodies.

import type { MiddlewareHandler } from "hono";
import { alterResponse, type Fault, faultResponse, takeFaults } from "./faults";
import type { Endpoint } from "./model";
import type { RequestLogEntry, World, Worlds } from "./world";

export interface ApiDeps {
  worlds: Worlds;
  /** Whether a Bearer key is one the simulated LlamaCloud would accept. */
  acceptKey: (key: string) => boolean;
  /** Requests that carried no key at all belong to no tenant; they are logged here. */
  anonymousLog: RequestLogEntry[];
}

export type ApiEnv = { Variables: { world: World } };

/** Real LlamaCloud keys look like `llx-…`; anything else is refused like a wrong key. */
export function looksLikeLlamaCloudKey(key: string): boolean {
  return /^llx-\S+$/.test(key);
}

export function bearerKey(header: string | undefined): string | null {
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1] ?? null;
}

/** What one upstream request is about, for the log and for fault matching. */
export interface Target {
  endpoint: Endpoint | null;
  /** The job (v1) or batch (v2) the log names; for a child list, the batch of its first known child. */
  jobId: string | null;
  /** Child job ids a v2 list asked for (null for other requests). */
  jobIds: string[] | null;
  /** Every job a fault's `job_id` may name to hit this request; default: `jobId`. */
  about?: string[];
  /** The `detail` of an injected not_found fault. */
  notFound: string;
}

/** Works out a request's target; `world` is null for a request without a key. */
export type Resolve = (method: string, url: URL, world: World | null) => Target;

export function upstreamGate(deps: ApiDeps, resolve: Resolve): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const url = new URL(c.req.url);
    const header = c.req.header("authorization");
    const key = bearerKey(header);
    const world = key === null ? null : deps.worlds.get(key);
    const target = resolve(c.req.method, url, world);
    const entry = {
      method: c.req.method,
      path: url.pathname,
      endpoint: target.endpoint,
      job_id: target.jobId,
      job_ids: target.jobIds,
      query: Object.fromEntries(url.searchParams),
      authorization_present: header !== undefined,
      fault: null as Fault["spec"]["kind"] | null,
    };
    if (key === null || world === null) {
      const at = new Date().toISOString();
      deps.anonymousLog.push({ seq: deps.anonymousLog.length + 1, at, ...entry, status: 401 });
      return c.json({ detail: "Not authenticated" }, 401, { "www-authenticate": "Bearer" });
    }
    const log = (status: number) =>
      world.logRequest({ ...entry, at: new Date(world.now()).toISOString(), status });
    if (!deps.acceptKey(key) || world.config.revoked) {
      log(401);
      return c.json({ detail: "Invalid API key" }, 401);
    }
    world.sync();
    const about = target.about ?? (target.jobId ? [target.jobId] : []);
    const { delayMs, fault } = target.endpoint
      ? takeFaults(world.faults, { endpoint: target.endpoint, jobIds: about })
      : { delayMs: 0, fault: null };
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    entry.fault = fault?.spec.kind ?? (delayMs > 0 ? "latency" : null);
    const replacement = fault ? faultResponse(fault, Date.now(), target.notFound) : null;
    if (replacement) {
      log(replacement.status);
      return replacement;
    }
    c.set("world", world);
    await next();
    if (fault) c.res = await alterResponse(fault, c.res);
    log(c.res.status);
  };
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** FastAPI's 422 body for one bad input. */
export function validationError(loc: string[], msg: string, input: unknown) {
  return { detail: [{ type: "value_error", loc, msg, input }] };
}

/** FastAPI's check of an integer query parameter: null when absent or fine, else its 422 body. */
export function badInteger(query: Record<string, string>, name: string, min: number, max: number) {
  const raw = query[name];
  if (raw === undefined) return null;
  const value = Number(raw);
  if (/^\d+$/.test(raw) && value >= min && value <= max) return null;
  return validationError(["query", name], `Input should be an integer between ${min} and ${max}`, raw);
}

/** FastAPI's check of an enum query parameter (empty counts as absent). */
export function badEnum(query: Record<string, string>, name: string, allowed: readonly string[]) {
  const raw = query[name];
  if (raw === undefined || raw === "" || allowed.includes(raw)) return null;
  return validationError(["query", name], `Input should be ${allowed.map((v) => `'${v}'`).join(", ")}`, raw);
}
