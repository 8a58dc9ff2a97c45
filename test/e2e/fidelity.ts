// What both simulator-fidelity suites (v1 and v2) share: the simulator served on a free local port for
// the file's tests, a tenant with an SDK pointed at it, and a strict schema check whose failure names
// the stage and every issue.
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { afterAll, beforeAll } from "vitest";
import type { z } from "zod";
import { createSimulator } from "../../sim/app";
import { type SimControl, simControl } from "../../sim/control";

export function strictly<T extends z.ZodType>(schema: T, value: unknown, where: string): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new Error(`${where}: ${JSON.stringify(parsed.error.issues, null, 2)}`);
  return parsed.data;
}

/** Serves the simulator before the file's tests and closes it after them; the result reads its URL. */
export function useSimulator(): () => string {
  let baseURL = "";
  let close: () => Promise<void> = async () => {};
  beforeAll(async () => {
    const simulator = createSimulator();
    const server = serve({ fetch: simulator.fetch, port: 0, hostname: "127.0.0.1" });
    await new Promise<void>((resolve) => server.once("listening", resolve));
    baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise((resolve) => server.close(() => resolve()));
  });
  afterAll(async () => {
    await close();
  });
  return () => baseURL;
}

/** An SDK client class (either generation): built from a key and a base URL. */
type Sdk<S> = new (options: { apiKey: string; baseURL: string; maxRetries: number }) => S;

/**
 * A fresh simulator tenant (key `llx-fidelity-<name>-<uuid>`) at `baseURL`: `sdk` is `Sdk` pointed at
 * it, `sim` its control client.
 */
export function sdkWorld<S>(Sdk: Sdk<S>, baseURL: string, name: string): { sdk: S; sim: SimControl } {
  const apiKey = `llx-fidelity-${name}-${crypto.randomUUID()}`;
  // No retries: a retried fault would hide what the simulator answered.
  return { sdk: new Sdk({ apiKey, baseURL, maxRetries: 0 }), sim: simControl({ apiKey, baseUrl: baseURL }) };
}
