// The end-to-end tests' view of the local stack: one real `wrangler dev` with the simulator, plus
// small helpers for talking to both over HTTP only.

import { setTimeout as pause } from "node:timers/promises";
import { afterAll, beforeAll, expect } from "vitest";
import { type Stack, type StackOptions, startStack } from "../../scripts/stack";
import { receiverControl, simControl } from "../../sim/control";
import type { JobJson } from "../../src/present/jobs";

export type { Stack };

/** Starts a stack before the file's tests and always stops it after them, even when they fail. */
export function useStack(options: StackOptions = {}) {
  const ref: { stack?: Stack } = {};
  beforeAll(async () => {
    ref.stack = await startStack(options);
  }, 120_000);
  afterAll(async () => {
    await ref.stack?.stop();
  }, 30_000);
  const stack = () => {
    if (!ref.stack) throw new Error("the stack did not start");
    return ref.stack;
  };
  /** A request to batchwatch with the admin token (or `token`). */
  const api = (path: string, init: RequestInit & { json?: unknown; token?: string } = {}) => {
    const headers = new Headers(init.headers);
    headers.set("authorization", `Bearer ${init.token ?? stack().adminToken}`);
    let body = init.body;
    if (init.json !== undefined) {
      headers.set("content-type", "application/json");
      body = JSON.stringify(init.json);
    }
    return fetch(`${stack().url}${path}`, { ...init, headers, body });
  };
  return {
    stack,
    sim: () => simControl({ apiKey: stack().apiKey, baseUrl: stack().simUrl ?? undefined }),
    /** A fresh receiver of the stack's simulator (plain http on loopback: ALLOW_HTTP_WEBHOOKS). */
    receiver: (label: string) =>
      receiverControl({ name: `${label}-${crypto.randomUUID()}`, baseUrl: `${stack().simUrl}/receiver` }),
    api,
    /** Lets every job's next poll come due (these stacks poll every second), then fires a tick. */
    tickWhenDue: async () => {
      await pause(1_100);
      await stack().tick();
    },
    /** Every tracked job, as GET /api/jobs lists them (one page of up to 200). */
    jobs: async (): Promise<JobJson[]> => {
      const res = await api("/api/jobs?limit=200");
      expect(res.status).toBe(200);
      return ((await res.json()) as { jobs: JobJson[] }).jobs;
    },
  };
}

/** Polls `check` until it returns a value that is not undefined. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await pause(250);
  }
  throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ""}`);
}
