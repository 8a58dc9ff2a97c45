// The rules for one inbound callback request, without the route: signature first, strict UTF-8
// JSON, and the header's event id only while callbacks are unsigned.
import { describe, expect, it } from "vitest";
import { signature } from "../../sim/callbacks";
import { type CallbackRequest, readCallbackRequest } from "../../src/upstream/callbacks";

const SECRET = "whsec-for-callback-tests";
const encoder = new TextEncoder();

function bytes(text: string): ArrayBuffer {
  return encoder.encode(text).buffer as ArrayBuffer;
}

function request(body: string | ArrayBuffer, headers: Partial<Omit<CallbackRequest, "body">> = {}) {
  return {
    body: typeof body === "string" ? bytes(body) : body,
    signature: null,
    eventId: null,
    eventType: null,
    ...headers,
  };
}

async function signed(body: string, headers: Partial<Omit<CallbackRequest, "body">> = {}) {
  return request(body, { signature: await signature(SECRET, body), ...headers });
}

/** Now, and the dedupe window the route passes (signed bodies older than it are refused). */
const CLOCK = { now: Date.now(), rememberedMs: 7 * 86_400_000 };
const timestamp = CLOCK.now / 1000;

const named = JSON.stringify({
  event_id: "evt-1",
  event_type: "batch.running",
  timestamp,
  data: { job_id: "bjb-1" },
});

describe("readCallbackRequest without a signing secret", () => {
  it("reads the event id, type and job from the body", async () => {
    expect(await readCallbackRequest(request(named), undefined, CLOCK)).toEqual({
      ok: true,
      callback: { eventId: "evt-1", eventType: "batch.running", jobId: "bjb-1" },
    });
  });

  it("takes the event id and type from the headers when the body has none", async () => {
    const read = await readCallbackRequest(
      request('{"data": {"id": "bjb-2"}}', { eventId: "evt-header", eventType: "batch.success" }),
      undefined,
      CLOCK,
    );
    expect(read).toEqual({
      ok: true,
      callback: { eventId: "evt-header", eventType: "batch.success", jobId: "bjb-2" },
    });
  });

  it("prefers the body's event id to the header's", async () => {
    const read = await readCallbackRequest(request(named, { eventId: "evt-header" }), undefined, CLOCK);
    expect(read.ok && read.callback.eventId).toBe("evt-1");
  });

  it("ignores any signature header", async () => {
    const read = await readCallbackRequest(request(named, { signature: "sha256=00" }), undefined, CLOCK);
    expect(read.ok).toBe(true);
  });

  it("refuses a body that is not JSON", async () => {
    expect(await readCallbackRequest(request("event_id=evt-1"), undefined, CLOCK)).toEqual({
      ok: false,
      refusal: "not_json",
    });
    expect(await readCallbackRequest(request(""), undefined, CLOCK)).toEqual({
      ok: false,
      refusal: "not_json",
    });
  });

  it("refuses bytes that are not UTF-8 instead of reading them with replacement characters", async () => {
    // {"event_id": "e<0xff>"}: a lenient decoder would turn 0xff into U+FFFD and parse an event id.
    const body = new Uint8Array([...encoder.encode('{"event_id": "e'), 0xff, ...encoder.encode('"}')]);
    expect(await readCallbackRequest(request(body.buffer as ArrayBuffer), undefined, CLOCK)).toEqual({
      ok: false,
      refusal: "not_json",
    });
  });

  it("reads a body that starts with a UTF-8 byte order mark", async () => {
    const body = new Uint8Array([0xef, 0xbb, 0xbf, ...encoder.encode(named)]);
    const read = await readCallbackRequest(request(body.buffer as ArrayBuffer), undefined, CLOCK);
    expect(read.ok && read.callback.eventId).toBe("evt-1");
  });

  it("refuses JSON without a usable event id", async () => {
    for (const body of ['{"data": {"job_id": "bjb-1"}}', "[1, 2]", '"evt-1"', '{"event_id": ""}']) {
      expect(await readCallbackRequest(request(body), undefined, CLOCK), body).toEqual({
        ok: false,
        refusal: "no_event_id",
      });
    }
  });
});

describe("readCallbackRequest with a signing secret", () => {
  it("reads a callback whose LC-Signature matches its raw body", async () => {
    expect(await readCallbackRequest(await signed(named), SECRET, CLOCK)).toEqual({
      ok: true,
      callback: { eventId: "evt-1", eventType: "batch.running", jobId: "bjb-1" },
    });
  });

  it("refuses a missing signature, one made with another secret, and one of another body", async () => {
    const wrongSecret = request(named, { signature: await signature("another secret", named) });
    const otherBody = request(named, { signature: await signature(SECRET, `${named} `) });
    for (const req of [request(named), wrongSecret, otherBody]) {
      expect(await readCallbackRequest(req, SECRET, CLOCK)).toEqual({ ok: false, refusal: "bad_signature" });
    }
  });

  it("checks the signature before reading the body", async () => {
    expect(await readCallbackRequest(request("not json"), SECRET, CLOCK)).toEqual({
      ok: false,
      refusal: "bad_signature",
    });
  });

  it("takes the event id only from the signed body, never from the unsigned header", async () => {
    const body = '{"data": {"job_id": "bjb-1"}}';
    expect(await readCallbackRequest(await signed(body, { eventId: "evt-header" }), SECRET, CLOCK)).toEqual({
      ok: false,
      refusal: "no_event_id",
    });
    const read = await readCallbackRequest(await signed(named, { eventId: "evt-header" }), SECRET, CLOCK);
    expect(read.ok && read.callback.eventId).toBe("evt-1");
  });

  it("still takes the event type from the header when the signed body has none", async () => {
    const body = JSON.stringify({ event_id: "evt-3", timestamp });
    const read = await readCallbackRequest(await signed(body, { eventType: "batch.error" }), SECRET, CLOCK);
    expect(read).toEqual({ ok: true, callback: { eventId: "evt-3", eventType: "batch.error", jobId: null } });
  });
});
