// The test network of the workerd tests: miniflare hands every outbound fetch of the worker (and of
// the test files) to `simulatorOutbound`, which runs in the vitest main process, in Node.
//   llamacloud.test              → the LlamaCloud simulator (one instance, one world per API key)
//   receiver.test, *.receiver.test → the in-memory webhook receiver
//   receiver.example.com           → the same receiver under a public-looking name, for https
//                                    subscriptions (the URL guard refuses reserved names like .test)
//   anything else                → 502, so no test ever reaches the internet

import { createSimulator } from "./app";
import { createReceiver } from "./receiver";

export const SIMULATOR_HOST = "llamacloud.test";
export const RECEIVER_HOST = "receiver.test";
export const PUBLIC_RECEIVER_HOST = "receiver.example.com";

/** Delivers a request inside the test network; also how the simulator's callbacks travel. */
export async function routeTestNetwork(request: Request): Promise<Response> {
  const { hostname } = new URL(request.url);
  if (hostname === SIMULATOR_HOST) return simulator.fetch(request);
  if (
    hostname === RECEIVER_HOST ||
    hostname === PUBLIC_RECEIVER_HOST ||
    hostname.endsWith(`.${RECEIVER_HOST}`)
  ) {
    return receiver.fetch(request);
  }
  const message = `test network: no route to ${hostname} (reachable: ${SIMULATOR_HOST}, ${RECEIVER_HOST}, *.${RECEIVER_HOST}, ${PUBLIC_RECEIVER_HOST})`;
  console.warn(`[batchwatch sim] ${request.method} ${request.url}: ${message}`);
  return new Response(message, { status: 502, headers: { "content-type": "text/plain" } });
}

export const simulator = createSimulator({ deliver: routeTestNetwork });
export const receiver = createReceiver();

/**
 * miniflare's `outboundService`. Its Request comes from miniflare's own undici, so it is copied into a
 * standard one before Hono sees it; the standard Response that comes back is one miniflare accepts
 * (it re-wraps anything that is not its own Response class).
 */
export async function simulatorOutbound(request: Request): Promise<Response> {
  const hasBody = request.method !== "GET" && request.method !== "HEAD";
  const copy = new Request(request.url, {
    method: request.method,
    headers: [...request.headers],
    body: hasBody ? await request.arrayBuffer() : undefined,
    redirect: "manual",
  });
  const response = await routeTestNetwork(copy);
  // Buffered, so no stream crosses from one undici to the other.
  return new Response(response.body ? await response.arrayBuffer() : null, {
    status: response.status,
    statusText: response.statusText,
    headers: [...response.headers],
  });
}
