// Oversized bodies under real `wrangler dev`: a chunked body (no Content-Length) over 64 KiB is
// answered 413, and the worker answers the next request at once. Hono's bodyLimit stopped reading such
// a body mid-stream, and the next request then hung until the first client went away.
import http from "node:http";
import { afterAll, describe, expect, it } from "vitest";
import { useStack } from "./harness";

const { stack, api } = useStack();

// The first client keeps its connection open after the answer, as curl and browsers do.
const agent = new http.Agent({ keepAlive: true });
afterAll(() => agent.destroy());

/** POSTs `bytes` of JSON-ish text in 1 KiB chunks, with no Content-Length (`chunked: false`: with one). */
function post(path: string, bytes: number, opts: { chunked?: boolean } = {}) {
  const url = new URL(path, stack().url);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    authorization: `Bearer ${stack().adminToken}`,
  };
  if (opts.chunked === false) headers["content-length"] = String(bytes);
  else headers["transfer-encoding"] = "chunked";
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers, agent },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d) => {
          body += d;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    const chunk = Buffer.alloc(1024, 0x61);
    for (let sent = 0; sent < bytes; sent += chunk.length) req.write(chunk.subarray(0, bytes - sent));
    req.end();
  });
}

/** The time the next request takes; it fails the test after 2 s instead of hanging. */
async function nextRequestMs(): Promise<number> {
  const started = Date.now();
  const res = await fetch(`${stack().url}/healthz`, { signal: AbortSignal.timeout(2_000) });
  expect(res.status).toBeLessThan(600);
  await res.text();
  return Date.now() - started;
}

describe("oversized bodies under wrangler dev", () => {
  it.each([
    ["/webhooks/llamacloud", true],
    ["/webhooks/llamacloud", false],
    ["/api/jobs", true],
  ])("%s over 64 KiB (chunked: %s) is 413 and the next request answers within 2 s", async (path, chunked) => {
    const answer = await post(path, 70 * 1024, { chunked });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toEqual({
      error: { code: "payload_too_large", message: "The request body is larger than 64 KiB." },
    });
    expect(await nextRequestMs()).toBeLessThan(2_000);
    // And the one after that, over the same kept-alive connection the big body came on.
    expect((await post("/webhooks/llamacloud", 10)).status).toBe(400);
  });

  it("still reads a chunked body within the limit", async () => {
    const res = await api("/api/jobs", { method: "POST", json: { job_id: "" } });
    expect(res.status).toBe(400);
    const small = await post("/webhooks/llamacloud", 60 * 1024);
    // 60 KiB of "a" is read whole, then refused as not JSON (not as too large).
    expect(small.status).toBe(400);
    expect(JSON.parse(small.body).error.code).toBe("validation_error");
  });
});
