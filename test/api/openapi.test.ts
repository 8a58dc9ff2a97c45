// The top of the served OpenAPI document and the PUBLIC_BASE_URL it names, through the real app
// (the full Redocly lint of the document runs against wrangler dev in test/e2e/openapi.test.ts).
import { describe, expect, it } from "vitest";
import { type Bindings, readConfig } from "../../src/config";
import { call, world } from "../helpers/app";

interface Document {
  info: { license?: { name: string; identifier?: string } };
  servers?: { url: string }[];
  paths: Record<string, Record<string, { operationId?: string; security?: unknown[] }>>;
}

async function document(vars: Partial<Bindings> = {}): Promise<Document> {
  const res = await call(world("openapi-doc", vars), "/openapi.json");
  expect(res.status).toBe(200);
  return (await res.json()) as Document;
}

describe("the OpenAPI document", () => {
  it("names its server: the host that served it, or PUBLIC_BASE_URL when set", async () => {
    expect((await document()).servers).toEqual([{ url: "/", description: "This batchwatch" }]);
    const configured = await document({ PUBLIC_BASE_URL: "https://batchwatch.acme.dev/" });
    expect(configured.servers?.map((s) => s.url)).toEqual(["https://batchwatch.acme.dev"]);
  });

  it("declares open routes as open on purpose, and a licence", async () => {
    const doc = await document();
    expect(doc.paths["/healthz"]?.get?.security).toEqual([]);
    expect(doc.paths["/webhooks/llamacloud"]?.post?.security).toEqual([]);
    expect(doc.info.license?.identifier).toMatch(/\S/);
  });

  it("gives every operation a unique operationId", async () => {
    const ids = Object.values((await document()).paths).flatMap((item) =>
      Object.values(item).map((op) => op.operationId),
    );
    expect(ids.every((id) => typeof id === "string")).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe("PUBLIC_BASE_URL", () => {
  const read = (value: string | undefined) =>
    readConfig({ DB: {} as D1Database, PUBLIC_BASE_URL: value } as Bindings).publicBaseUrl;

  it("is trimmed and loses its trailing slashes; a path is kept for a proxy that strips it", () => {
    expect(read(" https://batchwatch.acme.dev// ")).toBe("https://batchwatch.acme.dev");
    expect(read("https://acme.dev/batchwatch/")).toBe("https://acme.dev/batchwatch");
    expect(read("http://localhost:8787")).toBe("http://localhost:8787");
  });

  it("is unset when empty or not an http(s) URL, so links fall back to the creation origin", () => {
    for (const value of [
      undefined,
      "",
      "   ",
      "/",
      "batchwatch.acme.dev",
      "ftp://acme.dev",
      "javascript:alert(1)",
    ]) {
      expect(read(value)).toBeNull();
    }
  });
});
