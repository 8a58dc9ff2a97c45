// JSON API bodies that are not UTF-8: refused with 400, never decoded with replacement characters
// and then stored or sent upstream as part of an id.
import { beforeEach, describe, expect, it } from "vitest";
import { admin, errorOf, world } from "../helpers/app";
import { countRows, resetDatabase } from "../helpers/d1";
import { trackRunning } from "../helpers/jobs";
import { upstream } from "../helpers/upstream";

const encoder = new TextEncoder();

/** JSON text with raw bytes spliced in where `@` stands (the bytes are not UTF-8). */
function jsonWithBytes(template: string, bytes: number[]): Uint8Array {
  const [before = "", after = ""] = template.split("@");
  return new Uint8Array([...encoder.encode(before), ...bytes, ...encoder.encode(after)]);
}

const JSON_HEADERS = { "content-type": "application/json" };

describe("request bodies that are not UTF-8", () => {
  beforeEach(resetDatabase);

  it.each([
    ["a lone continuation byte", [0x80]],
    ["a truncated sequence", [0xe2, 0x82]],
    ["an overlong encoding", [0xc0, 0xaf]],
    ["a UTF-16 surrogate in UTF-8", [0xed, 0xa0, 0x80]],
    ["Latin-1", [0xe9]],
  ])("a job id with %s is 400 and nothing is stored or asked upstream", async (_, bytes) => {
    const w = world("utf8-track");
    await upstream(w).createJob({ id: "bjb-utf8" });
    const res = await admin(w, "/api/jobs", {
      method: "POST",
      headers: JSON_HEADERS,
      body: jsonWithBytes('{"job_id": "bjb-utf8@"}', bytes),
    });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toEqual({
      code: "validation_error",
      message: "The request body is not valid UTF-8.",
    });
    expect(await countRows("jobs")).toBe(0);
    expect(await upstream(w).statusRequests()).toHaveLength(0);
  });

  it.each([
    [
      "a subscription",
      "/api/subscriptions",
      '{"url": "https://hooks.example.com/@"}',
      [0xff],
      "subscriptions",
    ],
    ["a label", "/api/jobs", '{"job_id": "bjb-utf8-label", "label": "Q3 @"}', [0xfe], "jobs"],
  ])("%s with invalid bytes is refused too", async (_, path, template, bytes, table) => {
    const w = world("utf8-other");
    const res = await admin(w, path, {
      method: "POST",
      headers: JSON_HEADERS,
      body: jsonWithBytes(template, bytes),
    });
    expect(res.status).toBe(400);
    expect(await countRows(table)).toBe(0);
  });

  it("accepts real UTF-8, including characters outside the BMP", async () => {
    const w = world("utf8-ok");
    const tracked = await trackRunning(w, "bjb-utf8-ok", { label: "Rechnungen Q3 ✓ 📄" });
    expect(tracked.label).toBe("Rechnungen Q3 ✓ 📄");
  });
});
