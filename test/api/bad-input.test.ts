import { beforeAll, describe, expect, it } from "vitest";
import { ADMIN, admin, call, errorOf, expectError, world } from "../helpers/app";
import { countRows, insertJob } from "../helpers/d1";

// Bad input is answered with a clear 4xx in the contract's error shape and changes nothing stored.
const w = world("bad-input");

async function storedRows(): Promise<string> {
  return `${await countRows("jobs")} jobs, ${await countRows("snapshots")} snapshots`;
}

beforeAll(async () => {
  // One job already tracked, so routes that need one reach their validation.
  await insertJob({ jobId: "bjb-known", trackedAt: 1, nextPollAt: 9_999_999_999_999 });
});

const long = "x".repeat(201);
const big = { job_id: "bjb-big", label: "y".repeat(70 * 1024) };

const CASES: {
  name: string;
  method: string;
  path: string;
  init?: Parameters<typeof call>[2];
  status: number;
  code: string;
}[] = [
  {
    name: "malformed JSON",
    method: "POST",
    path: "/api/jobs",
    init: { body: '{"job_id":', headers: { "content-type": "application/json" } },
    status: 400,
    code: "validation_error",
  },
  {
    name: "no content type",
    method: "POST",
    path: "/api/jobs",
    init: { body: '{"job_id":"bjb-1"}' },
    status: 415,
    code: "unsupported_media_type",
  },
  {
    name: "form content type",
    method: "POST",
    path: "/api/jobs",
    init: { body: "job_id=bjb-1", headers: { "content-type": "application/x-www-form-urlencoded" } },
    status: 415,
    code: "unsupported_media_type",
  },
  {
    name: "empty body",
    method: "POST",
    path: "/api/jobs",
    init: { body: "", headers: { "content-type": "application/json" } },
    status: 400,
    code: "validation_error",
  },
  {
    name: "JSON array",
    method: "POST",
    path: "/api/jobs",
    init: { json: [] },
    status: 400,
    code: "validation_error",
  },
  {
    name: "missing job_id",
    method: "POST",
    path: "/api/jobs",
    init: { json: { label: "x" } },
    status: 400,
    code: "validation_error",
  },
  {
    name: "empty job_id",
    method: "POST",
    path: "/api/jobs",
    init: { json: { job_id: "" } },
    status: 400,
    code: "validation_error",
  },
  {
    name: "numeric job_id",
    method: "POST",
    path: "/api/jobs",
    init: { json: { job_id: 42 } },
    status: 400,
    code: "validation_error",
  },
  {
    name: "job_id too long",
    method: "POST",
    path: "/api/jobs",
    init: { json: { job_id: long } },
    status: 400,
    code: "validation_error",
  },
  {
    name: "label too long",
    method: "POST",
    path: "/api/jobs",
    init: { json: { job_id: "bjb-1", label: "l".repeat(201) } },
    status: 400,
    code: "validation_error",
  },
  {
    name: "label wrong type",
    method: "POST",
    path: "/api/jobs",
    init: { json: { job_id: "bjb-1", label: ["a"] } },
    status: 400,
    code: "validation_error",
  },
  {
    name: "project_id wrong type",
    method: "POST",
    path: "/api/jobs",
    init: { json: { job_id: "bjb-1", project_id: 7 } },
    status: 400,
    code: "validation_error",
  },
  {
    name: "job_id with a lone surrogate",
    method: "POST",
    path: "/api/jobs",
    init: { json: { job_id: "bjb-\ud800" } },
    status: 400,
    code: "validation_error",
  },
  {
    name: "job_id that is a dot segment",
    method: "POST",
    path: "/api/jobs",
    init: { json: { job_id: ".." } },
    status: 400,
    code: "validation_error",
  },
  {
    name: "job_id with a control character",
    method: "POST",
    path: "/api/jobs",
    init: { json: { job_id: "bjb-1\n" } },
    status: 400,
    code: "validation_error",
  },
  {
    name: "label with a lone surrogate",
    method: "POST",
    path: "/api/jobs",
    init: { json: { job_id: "bjb-1", label: "\udc00 label" } },
    status: 400,
    code: "validation_error",
  },
  {
    name: "unknown field",
    method: "POST",
    path: "/api/jobs",
    init: { json: { job_id: "bjb-1", colour: "red" } },
    status: 400,
    code: "validation_error",
  },
  {
    name: "oversized body",
    method: "POST",
    path: "/api/jobs",
    init: { json: big },
    status: 413,
    code: "payload_too_large",
  },
  { name: "limit 0", method: "GET", path: "/api/jobs?limit=0", status: 400, code: "validation_error" },
  { name: "limit 201", method: "GET", path: "/api/jobs?limit=201", status: 400, code: "validation_error" },
  {
    name: "limit not a number",
    method: "GET",
    path: "/api/jobs?limit=ten",
    status: 400,
    code: "validation_error",
  },
  {
    name: "limit fractional",
    method: "GET",
    path: "/api/jobs?limit=1.5",
    status: 400,
    code: "validation_error",
  },
  {
    name: "bad cursor",
    method: "GET",
    path: "/api/jobs?cursor=not-a-cursor",
    status: 400,
    code: "validation_error",
  },
  {
    name: "cursor of the wrong kind",
    method: "GET",
    path: `/api/jobs?cursor=${btoa(JSON.stringify({ t: "x" }))}`,
    status: 400,
    code: "validation_error",
  },
  {
    name: "unknown state",
    method: "GET",
    path: "/api/jobs?state=sleeping",
    status: 400,
    code: "validation_error",
  },
  {
    name: "history bad since",
    method: "GET",
    path: "/api/jobs/bjb-known/history?since=yesterday",
    status: 400,
    code: "validation_error",
  },
  {
    name: "history bad cursor",
    method: "GET",
    path: "/api/jobs/bjb-known/history?cursor=%%%",
    status: 400,
    code: "validation_error",
  },
  {
    name: "history limit 500",
    method: "GET",
    path: "/api/jobs/bjb-known/history?limit=500",
    status: 400,
    code: "validation_error",
  },
  {
    name: "job id too long in path",
    method: "GET",
    path: `/api/jobs/${long}`,
    status: 400,
    code: "validation_error",
  },
  { name: "unknown job", method: "GET", path: "/api/jobs/bjb-nope", status: 404, code: "not_found" },
  {
    name: "delete unknown job",
    method: "DELETE",
    path: "/api/jobs/bjb-nope",
    status: 404,
    code: "not_found",
  },
  {
    name: "poll unknown job",
    method: "POST",
    path: "/api/jobs/bjb-nope/poll",
    status: 404,
    code: "not_found",
  },
  {
    name: "history of unknown job",
    method: "GET",
    path: "/api/jobs/bjb-nope/history",
    status: 404,
    code: "not_found",
  },
  { name: "unknown route", method: "GET", path: "/api/nothing-here", status: 404, code: "not_found" },
];

describe("bad input", () => {
  it.each(CASES)("$name → $status $code", async ({ method, path, init, status, code }) => {
    const before = await storedRows();
    const res = await call(w, path, { ...init, method, headers: { ...ADMIN, ...init?.headers } });
    const error = await expectError(res, status, code);
    expect(error.message).toMatch(/^[A-Z"a-z].*[.!?]$/);
    expect(await storedRows()).toBe(before);
  });

  it("reports which field is wrong", async () => {
    const res = await admin(w, "/api/jobs", { method: "POST", json: { job_id: "bjb-1", label: 5 } });
    expect((await errorOf(res)).message).toContain("label");
  });
});
