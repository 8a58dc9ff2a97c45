// GET /api/jobs/:job_id/items: a job's files through the typed client and the real local D1 — the
// item shape, keyset pages without gaps or duplicates, the status filter, 404, bad input, read auth,
// the OpenAPI entry, and SQLite's plan for the exact SQL (an index, never a scan or a sort).
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { database } from "../../src/db/client";
import { itemsQuery } from "../../src/db/item-lists";
import { items } from "../../src/db/schema";
import { call, client, errorOf, expectError, expectJson, READ_TOKEN, world } from "../helpers/app";
import { insertItems, insertJob } from "../helpers/d1";
import { queryPlan } from "../helpers/query-plans";

const w = world("items");
const T0 = Date.parse("2026-11-28T12:00:00.000Z");
const STATUSES = ["completed", "failed", "running", "pending", "cancelled"] as const;

type ItemsQuery = { status?: string; limit?: string; cursor?: string };

function list(jobId: string, query: ItemsQuery = {}, headers?: Record<string, string>) {
  return client(w, headers).api.jobs[":job_id"].items.$get({ param: { job_id: jobId }, query });
}

/** Every page of a list, following next_cursor. */
async function allPages(jobId: string, query: ItemsQuery) {
  const pages = [];
  let cursor: string | undefined;
  do {
    const page = await expectJson(list(jobId, { ...query, ...(cursor ? { cursor } : {}) }), 200);
    pages.push(page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor && pages.length < 20);
  return pages;
}

beforeAll(async () => {
  await insertJob({ jobId: "bat-250", api: "v2", jobType: "parse_v2", totalItems: 250 });
  await insertJob({ jobId: "bat-other", api: "v2" });
  await insertJob({ jobId: "bjb-none", failedItems: 0 });
  // 250 files; every third pair shares a time, so pages must break ties by item_id.
  await insertItems(
    "bat-250",
    Array.from({ length: 250 }, (_, i) => ({
      itemId: `dfl-${String(i).padStart(3, "0")}`,
      name: `scan-${i}.pdf`,
      status: STATUSES[i % STATUSES.length],
      errorMessage: i % STATUSES.length === 1 ? `Parse failed on page ${i}` : null,
      updatedAt: new Date(T0 + Math.floor(i / 2) * 1000).toISOString(),
    })),
  );
  await insertItems("bat-other", [{ itemId: "dfl-000", status: "failed" }]);
});

describe("the item shape", () => {
  it("answers every field of an item, times in UTC, a file without a job with child_job_id null", async () => {
    await insertJob({ jobId: "bat-shape", api: "v2" });
    await insertItems("bat-shape", [
      {
        itemId: "dfl-a",
        name: "invoice.pdf",
        status: "failed",
        errorMessage: "Unsupported file type",
        childJobId: null,
        childType: null,
        updatedAt: "2026-11-28T12:00:05",
        sortAt: Date.parse("2026-11-28T12:00:05Z"),
        settled: true,
      },
      { itemId: "dfl-b", status: "completed", childJobId: "pjb-b", updatedAt: "2026-11-28T12:00:00.000Z" },
    ]);
    const page = await expectJson(list("bat-shape"), 200);
    expect(page).toEqual({
      items: [
        {
          item_id: "dfl-a",
          name: "invoice.pdf",
          status: "failed",
          error_message: "Unsupported file type",
          child_job_id: null,
          updated_at: "2026-11-28T12:00:05.000Z",
        },
        {
          item_id: "dfl-b",
          name: null,
          status: "completed",
          error_message: null,
          child_job_id: "pjb-b",
          updated_at: "2026-11-28T12:00:00.000Z",
        },
      ],
      next_cursor: null,
    });
  });

  it("answers an empty list for a tracked job without items", async () => {
    expect(await expectJson(list("bjb-none"), 200)).toEqual({ items: [], next_cursor: null });
  });
});

describe("pages", () => {
  it("walks 250 items newest first in pages of 100, without gaps or duplicates", async () => {
    const pages = await allPages("bat-250", { limit: "100" });
    expect(pages.map((p) => p.length)).toEqual([100, 100, 50]);
    const ids = pages.flat().map((item) => item.item_id);
    expect(new Set(ids).size).toBe(250);
    // Newest first; within one time the larger item_id first (the keyset's tie-break).
    const expected = Array.from({ length: 250 }, (_, i) => `dfl-${String(i).padStart(3, "0")}`).reverse();
    expect(ids).toEqual(expected);
  });

  it("gives 50 by default and at most 200", async () => {
    const first = await expectJson(list("bat-250"), 200);
    expect(first.items).toHaveLength(50);
    expect(first.next_cursor).toEqual(expect.any(String));
    const big = await expectJson(list("bat-250", { limit: "200" }), 200);
    expect(big.items).toHaveLength(200);
    const [rest] = [await expectJson(list("bat-250", { limit: "200", cursor: big.next_cursor ?? "" }), 200)];
    expect(rest.items).toHaveLength(50);
    expect(rest.next_cursor).toBeNull();
  });

  it("filters by status, in lower case, across pages", async () => {
    const pages = await allPages("bat-250", { status: "failed", limit: "20" });
    expect(pages.map((p) => p.length)).toEqual([20, 20, 10]);
    const failed = pages.flat();
    expect(new Set(failed.map((i) => i.item_id)).size).toBe(50);
    expect(failed.every((i) => i.status === "failed" && i.error_message?.startsWith("Parse failed"))).toBe(
      true,
    );
    const upper = await expectJson(list("bat-250", { status: "FAILED", limit: "200" }), 200);
    expect(upper.items.map((i) => i.item_id)).toEqual(failed.map((i) => i.item_id));
    expect((await expectJson(list("bat-250", { status: "paused" }), 200)).items).toEqual([]);
    // An empty filter is no filter.
    expect((await expectJson(list("bat-250", { status: "" }), 200)).items).toHaveLength(50);
  });

  it("never shows another job's items", async () => {
    const page = await expectJson(list("bat-other"), 200);
    expect(page.items.map((i) => i.item_id)).toEqual(["dfl-000"]);
  });
});

describe("errors", () => {
  it("is 404 not_found for a job that is not tracked", async () => {
    const res = await list("bat-never");
    expect(res.status).toBe(404);
    expect(await errorOf(res)).toEqual({
      code: "not_found",
      message: 'No tracked job has the id "bat-never".',
    });
  });

  it.each([
    ["a cursor it never handed out", { cursor: "not-a-cursor" }, "cursor"],
    ["another list's cursor", { cursor: btoa(JSON.stringify({ t: 1, id: 2 })) }, "cursor"],
    ["limit 0", { limit: "0" }, "limit"],
    ["limit 201", { limit: "201" }, "limit"],
    ["limit abc", { limit: "abc" }, "limit"],
    ["a status of 201 characters", { status: "x".repeat(201) }, "status"],
    ["a cursor of 1,001 characters", { cursor: "a".repeat(1001) }, "cursor"],
  ])("is 400 validation_error for %s", async (_, query, field) => {
    const res = await list("bat-250", query);
    const error = await expectError(res, 400, "validation_error");
    expect(error.message).toContain(field);
  });

  it("needs the read token (or PUBLIC_READ)", async () => {
    expect((await list("bat-250", {}, {})).status).toBe(401);
    expect((await list("bat-250", {}, { authorization: "Bearer wrong" })).status).toBe(401);
    expect((await list("bat-250", {}, { authorization: `Bearer ${READ_TOKEN}` })).status).toBe(200);
    const open = world("items-public", { PUBLIC_READ: "true" });
    expect((await call(open, "/api/jobs/bat-250/items")).status).toBe(200);
  });
});

describe("the OpenAPI document", () => {
  it("declares the route with its operationId, read security, 404 and the shared error answers", async () => {
    const doc = (await (await call(w, "/openapi.json")).json()) as {
      paths: Record<string, Record<string, { operationId?: string; security?: unknown; responses: object }>>;
      components: { schemas: Record<string, { properties: object }> };
    };
    const route = doc.paths["/api/jobs/{job_id}/items"]?.get;
    expect(route?.operationId).toBe("listJobItems");
    expect(route?.security).toEqual([{ bearer: [] }, { basic: [] }, {}]);
    expect(Object.keys(route?.responses ?? {}).sort()).toEqual(["200", "400", "401", "404", "503"]);
    expect(Object.keys(doc.components.schemas.Item?.properties ?? {}).sort()).toEqual(
      ["child_job_id", "error_message", "item_id", "name", "status", "updated_at"].sort(),
    );
  });
});

describe("the list's queries use an index", () => {
  const db = database(env.DB);

  it.each([
    ["without a filter", { index: "items_list_idx", where: undefined }],
    ["filtered by status", { index: "items_status_list_idx", where: eq(items.status, "failed") }],
  ])("%s, first page and later ones", async (_, { index, where }) => {
    for (const after of [undefined, { time: T0, id: "dfl-100" }]) {
      const details = await queryPlan(itemsQuery(db, { jobId: "bat-250", where, limit: 51, after }));
      expect(details.join("\n")).toContain(`USING INDEX ${index} (job_id=?`);
      expect(
        details.filter((d) => /^SCAN items|TEMP B-TREE/.test(d)),
        details.join("\n"),
      ).toEqual([]);
    }
  });
});
