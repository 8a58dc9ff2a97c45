import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, call, expectError, READ_TOKEN, world } from "../helpers/app";

// Every route × every kind of credential. A route refusing with 401 must also say how to authenticate.
const w = world("auth");
const ROUTES: { method: string; path: string; kind: "read" | "write" | "open"; body?: unknown }[] = [
  { method: "GET", path: "/healthz", kind: "open" },
  { method: "GET", path: "/openapi.json", kind: "open" },
  { method: "GET", path: "/metrics", kind: "read" },
  { method: "POST", path: "/api/jobs", kind: "write", body: { job_id: "bjb-auth-missing" } },
  { method: "GET", path: "/api/jobs", kind: "read" },
  { method: "GET", path: "/api/jobs/bjb-auth-missing", kind: "read" },
  { method: "DELETE", path: "/api/jobs/bjb-auth-missing", kind: "write" },
  { method: "POST", path: "/api/jobs/bjb-auth-missing/poll", kind: "write" },
  { method: "GET", path: "/api/jobs/bjb-auth-missing/history", kind: "read" },
  { method: "GET", path: "/api/jobs/bjb-auth-missing/items", kind: "read" },
];

const basic = (password: string) => `Basic ${btoa(`someone:${password}`)}`;
const CREDENTIALS: { name: string; header?: string; reads: boolean; writes: boolean }[] = [
  { name: "none", reads: false, writes: false },
  { name: "wrong bearer", header: "Bearer nope", reads: false, writes: false },
  { name: "empty bearer", header: "Bearer ", reads: false, writes: false },
  { name: "read bearer", header: `Bearer ${READ_TOKEN}`, reads: true, writes: false },
  { name: "admin bearer", header: `Bearer ${ADMIN_TOKEN}`, reads: true, writes: true },
  { name: "read basic", header: basic(READ_TOKEN), reads: true, writes: false },
  { name: "admin basic", header: basic(ADMIN_TOKEN), reads: true, writes: false },
  { name: "wrong basic", header: basic("nope"), reads: false, writes: false },
  { name: "admin token with a suffix", header: `Bearer ${ADMIN_TOKEN}x`, reads: false, writes: false },
  {
    name: "admin token and trailing junk",
    header: `Bearer ${ADMIN_TOKEN} extra`,
    reads: false,
    writes: false,
  },
];

describe.each(CREDENTIALS)("credentials: $name", (cred) => {
  it.each(ROUTES)("$method $path", async (route) => {
    const res = await call(w, route.path, {
      method: route.method,
      headers: cred.header ? { authorization: cred.header } : {},
      json: route.body,
    });
    const allowed = route.kind === "open" || (route.kind === "read" ? cred.reads : cred.writes);
    if (allowed) {
      expect(res.status, await res.clone().text()).not.toBe(401);
      expect(res.status).toBeLessThan(500);
    } else {
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(route.kind === "read" ? /Basic/ : /Bearer/);
      expect(await res.json()).toEqual({ error: { code: "unauthorized", message: expect.any(String) } });
    }
  });
});

describe("configuration", () => {
  it("closes writes with 503 when ADMIN_TOKEN is unset, even to someone presenting a token", async () => {
    const open = { ...w, env: { ...w.env, ADMIN_TOKEN: undefined } };
    const res = await call(open, "/api/jobs", {
      method: "POST",
      headers: { authorization: "Bearer undefined" },
      json: { job_id: "bjb-x" },
    });
    await expectError(res, 503, "not_configured");
  });

  it("treats a blank ADMIN_TOKEN as unset", async () => {
    const blank = { ...w, env: { ...w.env, ADMIN_TOKEN: "  " } };
    const res = await call(blank, "/api/jobs/bjb-x", {
      method: "DELETE",
      headers: { authorization: "Bearer " },
    });
    expect(res.status).toBe(503);
  });

  it("opens reads, not writes, with PUBLIC_READ", async () => {
    const pub = { ...w, env: { ...w.env, PUBLIC_READ: "true" } };
    expect((await call(pub, "/api/jobs")).status).toBe(200);
    expect((await call(pub, "/api/jobs/bjb-x", { method: "DELETE" })).status).toBe(401);
  });

  it("answers 503 on reads when no token is configured and reads are not public", async () => {
    const none = { ...w, env: { ...w.env, READ_TOKEN: undefined, ADMIN_TOKEN: undefined } };
    const res = await call(none, "/api/jobs", { headers: { authorization: "Bearer x" } });
    await expectError(res, 503, "not_configured");
  });

  it("never echoes a token back", async () => {
    const res = await call(w, "/api/jobs", { headers: { authorization: `Bearer ${ADMIN_TOKEN}-wrong` } });
    const text = await res.text();
    expect(text).not.toContain(ADMIN_TOKEN);
  });
});
