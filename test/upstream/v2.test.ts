// The v2 client against recorded answers that follow the contract ("What it watches", v2), served by
// a stubbed fetch: the simulator has no v2 routes yet. Once it has, the polling tests cover the same
// requests end to end through it.
import { afterEach, describe, expect, it, vi } from "vitest";
import { fetchJobStatus, type JobRef, type LlamaCloudTarget } from "../../src/upstream/v1";
import { type ChildPageRequest, fetchBatch, fetchChildPage, nextChildPage } from "../../src/upstream/v2";

const target: LlamaCloudTarget = { baseUrl: "http://llamacloud.test", apiKey: "llx-test-key" };
const ref: JobRef = { jobId: "bat-7f3a", projectId: "prj-1", organizationId: "org-1" };
const scope = { projectId: "prj-1", organizationId: "org-1" };

/** A batch as GET /api/v2/batches/{id}?expand=results answers while it runs. */
const runningBatch = {
  id: "bat-7f3a",
  config: { job: { type: "parse_v2", configuration_id: "cfg-9" }, priority: "low" },
  project_id: "prj-1",
  source_directory_id: "dir-42",
  status: "RUNNING",
  created_at: "2026-11-28T11:00:00.123456Z",
  updated_at: "2026-11-28T11:05:00Z",
  results: [
    { source_directory_file_id: "dfl-1", job_reference: { id: "pjb-1", type: "parse_v2" } },
    {
      source_directory_file_id: "dfl-2",
      job_reference: { id: "pjb-2", type: "parse_v2" },
      error_message: null,
    },
    { source_directory_file_id: "dfl-3", error_message: "Unsupported file type: .exe" },
  ],
  organization_id: "org-1",
};

/** A page of GET /api/v2/parse?job_ids=…. */
const parsePage = {
  items: [
    {
      id: "pjb-1",
      status: "COMPLETED",
      name: "a.pdf",
      created_at: "2026-11-28T11:01:00Z",
      updated_at: "2026-11-28T11:03:00Z",
      tier: "agentic",
    },
    {
      id: "pjb-2",
      status: "FAILED",
      name: "b.pdf",
      error_message: "Document is password protected",
      updated_at: "2026-11-28T11:04:00Z",
    },
  ],
  next_page_token: "",
};

let requests: Request[] = [];

function answer(respond: (request: Request) => Response | Promise<Response>) {
  requests = [];
  return vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    requests.push(request);
    return respond(request);
  });
}

const json = (body: unknown, init: ResponseInit = {}) =>
  new Response(typeof body === "string" ? body : JSON.stringify(body), {
    status: 200,
    ...init,
    headers: { "content-type": "application/json", ...init.headers },
  });

afterEach(() => {
  vi.restoreAllMocks();
});

describe("fetchBatch", () => {
  it("asks for the batch with its results, scoped and authorised, and reads it", async () => {
    answer(() => json(runningBatch));
    const result = await fetchBatch(target, ref);
    expect(requests).toHaveLength(1);
    const url = new URL(requests[0]?.url ?? "");
    expect(url.pathname).toBe("/api/v2/batches/bat-7f3a");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      expand: "results",
      project_id: "prj-1",
      organization_id: "org-1",
    });
    expect(requests[0]?.headers.get("authorization")).toBe("Bearer llx-test-key");
    expect(result).toEqual({ ok: true, answer: runningBatch });
  });

  it("accepts missing and null fields, unknown fields and an unknown status", async () => {
    const mapping = { id: "bat-7f3a", status: "REBALANCING", results: null, config: null, shard: 3 };
    answer(() => json(mapping));
    expect(await fetchBatch(target, ref)).toEqual({ ok: true, answer: mapping });

    const bare = {
      id: "bat-7f3a",
      status: "PENDING",
      results: [{ source_directory_file_id: "dfl-1", job_reference: { id: "pjb-1" } }],
    };
    answer(() => json(bare));
    expect(await fetchBatch(target, ref)).toEqual({ ok: true, answer: bare });
  });

  it.each([
    ["no status", { id: "bat-7f3a" }, "status"],
    [
      "a results entry without its file",
      { id: "bat-7f3a", status: "RUNNING", results: [{ job_reference: { id: "pjb-1" } }] },
      "results.0.source_directory_file_id",
    ],
    ["results that are not a list", { id: "bat-7f3a", status: "RUNNING", results: { a: 1 } }, "results"],
  ])("refuses a batch with %s as malformed", async (_, body, where) => {
    answer(() => json(body));
    const result = await fetchBatch(target, ref);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.failure.kind).toBe("malformed");
    expect(result.failure.message).toContain(`(${where}:`);
  });

  it("refuses an answer about another batch", async () => {
    answer(() => json({ ...runningBatch, id: "bat-other" }));
    const result = await fetchBatch(target, ref);
    expect(result).toMatchObject({ ok: false, failure: { kind: "malformed" } });
  });

  it("asks nothing without an API key", async () => {
    answer(() => json(runningBatch));
    const result = await fetchBatch({ ...target, apiKey: undefined }, ref);
    expect(result).toMatchObject({ ok: false, failure: { kind: "not_configured" } });
    expect(requests).toHaveLength(0);
  });
});

/** Five minutes from now, to the second, as an HTTP-date: a pause every request computes alike. */
const retryAt = Math.floor(Date.now() / 1000) * 1000 + 5 * 60_000;

/** Upstream faults, each answered the same way to a v1 poll and to both v2 requests. */
const faults: [string, () => Response | Promise<Response>, Record<string, unknown>][] = [
  [
    "429 with an HTTP-date Retry-After",
    () =>
      json(
        { detail: "Too many requests" },
        { status: 429, headers: { "retry-after": new Date(retryAt).toUTCString() } },
      ),
    { kind: "rate_limited", httpStatus: 429, retryAt },
  ],
  [
    "401",
    () => json({ detail: "Invalid API key" }, { status: 401 }),
    { kind: "unauthorized", httpStatus: 401 },
  ],
  ["403", () => json({ detail: "Forbidden" }, { status: 403 }), { kind: "unauthorized", httpStatus: 403 }],
  ["404", () => json({ detail: "Not found" }, { status: 404 }), { kind: "not_found", httpStatus: 404 }],
  ["400", () => json({ detail: "Bad request" }, { status: 400 }), { kind: "client_error", httpStatus: 400 }],
  [
    "422",
    () => json({ detail: [{ loc: ["query"], msg: "bad" }] }, { status: 422 }),
    { kind: "client_error", httpStatus: 422 },
  ],
  [
    "502 with HTML",
    () => new Response("<html>Bad gateway</html>", { status: 502 }),
    { kind: "server_error", httpStatus: 502 },
  ],
  ["a body that is not JSON", () => new Response("{nope", { status: 200 }), { kind: "malformed" }],
  ["an answer over 256 KiB", () => json({ pad: "x".repeat(300 * 1024) }), { kind: "malformed" }],
  [
    "a timeout",
    () => Promise.reject(new DOMException("The operation was aborted due to timeout", "TimeoutError")),
    { kind: "timeout" },
  ],
  ["a network failure", () => Promise.reject(new TypeError("connection refused")), { kind: "network" }],
];

describe("failures", () => {
  const childRequest: ChildPageRequest = { type: "parse_v2", jobIds: ["pjb-1"] };

  it.each(faults)("classifies %s exactly as the v1 client does", async (_, respond, expected) => {
    answer(respond);
    const v1 = await fetchJobStatus(target, { ...ref, jobId: "bjb-1" });
    const batch = await fetchBatch(target, ref);
    const page = await fetchChildPage(target, scope, childRequest);
    expect(requests).toHaveLength(3);
    expect(v1).toEqual({ ok: false, failure: expect.objectContaining(expected) });
    // A batch answer has its own, larger cap (below); everything else fails alike.
    if (_ !== "an answer over 256 KiB") expect(batch).toEqual(v1);
    expect(page).toEqual(v1);
  });

  it("reads a batch answer up to 8 MiB (thousands of files), and no larger", async () => {
    const files = Array.from({ length: 2_000 }, (_, i) => ({
      source_directory_file_id: `dfl-${i}`.padEnd(40, "0"),
      job_reference: { id: `pjb-${i}`.padEnd(40, "0"), type: "parse_v2" },
      error_message: null,
    }));
    answer(() => json({ ...runningBatch, results: files }));
    const big = await fetchBatch(target, ref);
    expect(JSON.stringify(files).length).toBeGreaterThan(256 * 1024);
    expect(big.ok && big.answer.results?.length).toBe(2_000);
    answer(() => json({ ...runningBatch, pad: "x".repeat(8 * 1024 * 1024) }));
    expect(await fetchBatch(target, ref)).toEqual({
      ok: false,
      failure: expect.objectContaining({ kind: "malformed", message: expect.stringMatching(/too large/) }),
    });
  });
});

describe("fetchChildPage", () => {
  it("asks the product's list for the ids, repeated, a full page at a time, scoped", async () => {
    answer(() => json(parsePage));
    const result = await fetchChildPage(target, scope, { type: "parse_v2", jobIds: ["pjb-1", "pjb-2"] });
    const url = new URL(requests[0]?.url ?? "");
    expect(url.pathname).toBe("/api/v2/parse");
    expect(url.searchParams.getAll("job_ids")).toEqual(["pjb-1", "pjb-2"]);
    expect(url.searchParams.get("page_size")).toBe("100");
    expect(url.searchParams.has("page_token")).toBe(false);
    expect(url.searchParams.get("project_id")).toBe("prj-1");
    expect(url.searchParams.get("organization_id")).toBe("org-1");
    expect(result).toEqual({ ok: true, answer: { children: parsePage.items, nextPageToken: null } });
  });

  it("reads extract jobs from their own list and continues from a page token", async () => {
    answer(() => json({ items: [{ id: "ejb-1", status: "QUEUED_FOR_GPU" }], next_page_token: "tok-2" }));
    const request: ChildPageRequest = { type: "extract_v2", jobIds: ["ejb-1", "ejb-2"], pageToken: "tok-1" };
    const result = await fetchChildPage(target, scope, request);
    const url = new URL(requests[0]?.url ?? "");
    expect(url.pathname).toBe("/api/v2/extract");
    expect(url.searchParams.get("page_token")).toBe("tok-1");
    expect(url.searchParams.getAll("job_ids")).toEqual(["ejb-1", "ejb-2"]);
    expect(result).toEqual({
      ok: true,
      answer: { children: [{ id: "ejb-1", status: "QUEUED_FOR_GPU" }], nextPageToken: "tok-2" },
    });
    if (!result.ok) return;
    expect(nextChildPage(request, result.answer)).toEqual({ ...request, pageToken: "tok-2" });
  });

  it.each([
    ["an empty token", { next_page_token: "" }],
    ["a null token", { next_page_token: null }],
    ["no token", {}],
    ["the token just sent", { next_page_token: "tok-1" }],
  ])("ends the list on %s", async (_, tail) => {
    answer(() => json({ items: [], ...tail }));
    const request: ChildPageRequest = { type: "parse_v2", jobIds: ["pjb-1"], pageToken: "tok-1" };
    const result = await fetchChildPage(target, scope, request);
    expect(result).toEqual({ ok: true, answer: { children: [], nextPageToken: null } });
    if (!result.ok) return;
    expect(nextChildPage(request, result.answer)).toBeNull();
  });

  it("refuses a page whose child has no status as malformed", async () => {
    answer(() => json({ items: [{ id: "pjb-1" }], next_page_token: "" }));
    const result = await fetchChildPage(target, scope, { type: "parse_v2", jobIds: ["pjb-1"] });
    expect(result).toMatchObject({ ok: false, failure: { kind: "malformed" } });
  });

  it.each([0, 101])("will not send a request for %i ids", async (count) => {
    answer(() => json(parsePage));
    const jobIds = Array.from({ length: count }, (_, i) => `pjb-${i}`);
    await expect(fetchChildPage(target, scope, { type: "parse_v2", jobIds })).rejects.toThrow(RangeError);
    expect(requests).toHaveLength(0);
  });
});
