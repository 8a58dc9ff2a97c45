import { beforeEach, describe, expect, it } from "vitest";
import {
  ADMIN,
  admin,
  call,
  client,
  errorOf,
  expectError,
  expectJson,
  READ_TOKEN,
  world,
} from "../helpers/app";
import { countRows, insertJob, resetDatabase } from "../helpers/d1";
import { createWatch } from "./helpers";

// The watch routes: one watch per project, listing, deleting, auth, and bad input that stores nothing.

const w = world("watch-api");

beforeEach(resetDatabase);

describe("POST /api/watches", () => {
  it("creates a watch of both generations by default, then answers 200 with the same watch", async () => {
    const created = await createWatch(w, { project_id: "prj-1", label: "Invoices" });
    expect(created).toMatchObject({
      project_id: "prj-1",
      organization_id: null,
      apis: ["v1", "v2"],
      label: "Invoices",
      last_scan_at: null,
      jobs_found: 0,
      last_error: null,
    });
    expect(created.id).toMatch(/^wat_[0-9a-f]{32}$/);
    expect(Date.parse(created.created_at)).toBeGreaterThan(0);

    // A second POST for the project, even saying something else, is the same watch unchanged.
    const again = await expectJson(
      client(w).api.watches.$post({ json: { project_id: "prj-1", apis: ["v2"], label: "Other" } }),
      200,
    );
    expect(again.watch).toEqual(created);
    expect(await countRows("watches")).toBe(1);
  });

  it("creates one watch when two requests for a project race", async () => {
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => client(w).api.watches.$post({ json: { project_id: "prj-race" } })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 201]);
    const ids = await Promise.all(
      answers.map(async (a) => ((await a.json()) as { watch: { id: string } }).watch.id),
    );
    expect(new Set(ids).size).toBe(1);
    expect(await countRows("watches")).toBe(1);
  });

  it("keeps the organization and the generations it is told, in a fixed order", async () => {
    const watch = await createWatch(w, { project_id: "prj-2", organization_id: "org-9", apis: ["v2", "v1"] });
    expect(watch.organization_id).toBe("org-9");
    expect(watch.apis).toEqual(["v1", "v2"]);
    expect((await createWatch(w, { project_id: "prj-3", apis: ["v2"] })).apis).toEqual(["v2"]);
  });
});

describe("GET and DELETE /api/watches", () => {
  it("lists watches newest first and deletes one, leaving the jobs it found tracked", async () => {
    const first = await createWatch(w, { project_id: "prj-a" });
    await new Promise((r) => setTimeout(r, 5)); // a later created_at, so "newest first" is not a tie
    const second = await createWatch(w, { project_id: "prj-b" });
    await insertJob({ jobId: "bjb-found", watchId: first.id });

    const listed = await expectJson(
      client(w, { authorization: `Bearer ${READ_TOKEN}` }).api.watches.$get(),
      200,
    );
    expect(listed.watches.map((watch) => watch.id)).toEqual([second.id, first.id]);

    const gone = await client(w).api.watches[":id"].$delete({ param: { id: first.id } });
    expect(gone.status).toBe(204);
    const after = await expectJson(client(w).api.watches.$get(), 200);
    expect(after.watches.map((watch) => watch.id)).toEqual([second.id]);
    expect(await countRows("jobs", "job_id = 'bjb-found'")).toBe(1);

    const again = await client(w).api.watches[":id"].$delete({ param: { id: first.id } });
    await expectError(again, 404, "not_found");
  });
});

describe("auth", () => {
  it("needs the admin token to write and a read token to list", async () => {
    const anonymous = await call(w, "/api/watches", { method: "POST", json: { project_id: "prj-x" } });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toMatch(/^Bearer/);
    const reader = await call(w, "/api/watches", {
      method: "POST",
      json: { project_id: "prj-x" },
      headers: { authorization: `Bearer ${READ_TOKEN}` },
    });
    expect(reader.status).toBe(401);
    expect((await call(w, "/api/watches")).status).toBe(401);
    expect((await call(w, "/api/watches/wat_1", { method: "DELETE" })).status).toBe(401);
    expect(await countRows("watches")).toBe(0);
    const closed = world("watch-api-closed", { ADMIN_TOKEN: "" });
    const unset = await call(closed, "/api/watches", {
      method: "POST",
      json: { project_id: "p" },
      headers: ADMIN,
    });
    expect(unset.status).toBe(503);
  });
});

describe("bad input", () => {
  const long = "x".repeat(201);
  it.each([
    ["no project", {}],
    ["an empty project", { project_id: "" }],
    ["a project id over 200 characters", { project_id: long }],
    ["a project id with a control character", { project_id: "prj\n1" }],
    ["a number for a project", { project_id: 7 }],
    ["no generation", { project_id: "prj-1", apis: [] }],
    ["an unknown generation", { project_id: "prj-1", apis: ["v3"] }],
    ["a generation twice", { project_id: "prj-1", apis: ["v1", "v1"] }],
    ["apis that are not a list", { project_id: "prj-1", apis: "v1" }],
    ["a label over 200 characters", { project_id: "prj-1", label: long }],
    ["an unknown field", { project_id: "prj-1", scan_every: 5 }],
    ["a list for a body", [{ project_id: "prj-1" }]],
  ])("refuses %s with 400 and stores nothing", async (_name, body) => {
    const res = await admin(w, "/api/watches", { method: "POST", json: body });
    expect(res.status, await res.clone().text()).toBe(400);
    expect((await errorOf(res)).code).toBe("validation_error");
    expect(await countRows("watches")).toBe(0);
  });

  it("refuses malformed JSON and a body that is not JSON", async () => {
    const malformed = await admin(w, "/api/watches", {
      method: "POST",
      body: '{"project_id":',
      headers: { "content-type": "application/json" },
    });
    expect(malformed.status).toBe(400);
    const form = await admin(w, "/api/watches", {
      method: "POST",
      body: "project_id=prj-1",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(form.status).toBe(415);
    expect(await countRows("watches")).toBe(0);
  });

  it("answers 404 for a watch id nobody made and 400 for one that cannot be an id", async () => {
    expect((await admin(w, "/api/watches/wat_nothing", { method: "DELETE" })).status).toBe(404);
    expect((await admin(w, `/api/watches/${"w".repeat(201)}`, { method: "DELETE" })).status).toBe(400);
  });
});

describe("OpenAPI", () => {
  it("declares each watch route with its operationId and a 4xx answer", async () => {
    const res = await call(w, "/openapi.json");
    const doc = (await res.json()) as {
      paths: Record<string, Record<string, { operationId?: string; responses: Record<string, unknown> }>>;
    };
    const operations = [
      doc.paths["/api/watches"]?.post,
      doc.paths["/api/watches"]?.get,
      doc.paths["/api/watches/{id}"]?.delete,
    ];
    expect(operations.map((op) => op?.operationId)).toEqual(["createWatch", "listWatches", "deleteWatch"]);
    for (const op of operations)
      expect(Object.keys(op?.responses ?? {}).some((s) => /^4/.test(s))).toBe(true);
  });
});
