// The replay rule for signed callbacks: a body dated outside the dedupe window (its event id may be
// forgotten by now) is refused, and a signed body must say when it was sent.
import { describe, expect, it } from "vitest";
import { signature } from "../../sim/callbacks";
import {
  CALLBACK_CLOCK_SKEW_MS,
  callbackTime,
  readCallbackRequest,
  signedCallbackFresh,
} from "../../src/upstream/callbacks";

const SECRET = "whsec-for-timestamp-tests";
const DAY = 86_400_000;
const NOW = Date.parse("2026-06-01T12:00:00Z");
const CLOCK = { now: NOW, rememberedMs: 7 * DAY };

async function signedBody(fields: Record<string, unknown>) {
  const text = JSON.stringify({
    event_id: "evt-ts",
    event_type: "batch.running",
    data: { job_id: "bjb-ts" },
    ...fields,
  });
  return {
    body: new TextEncoder().encode(text).buffer as ArrayBuffer,
    signature: await signature(SECRET, text),
    eventId: null,
    eventType: null,
  };
}

describe("callbackTime", () => {
  it.each([
    [NOW / 1000, NOW],
    [1780315200.25, 1780315200250],
    ["1780315200", 1780315200000],
    ["2026-06-01T12:00:00Z", NOW],
    ["2026-06-01T12:00:00.000+00:00", NOW],
    ["2026-06-01T14:00:00+02:00", NOW],
  ])("reads %j", (value, expected) => {
    expect(callbackTime(value)).toBe(expected);
  });

  it.each([[null], [undefined], [""], ["yesterday"], ["May 2099"], [Number.NaN], [{}], [[1]], [true]])(
    "cannot read %j",
    (value) => {
      expect(callbackTime(value)).toBeNull();
    },
  );
});

describe("signedCallbackFresh", () => {
  it("accepts the window less the clock skew, and the skew ahead", () => {
    expect(signedCallbackFresh(NOW, CLOCK)).toBe(true);
    expect(signedCallbackFresh(NOW - 7 * DAY + CALLBACK_CLOCK_SKEW_MS, CLOCK)).toBe(true);
    expect(signedCallbackFresh(NOW + CALLBACK_CLOCK_SKEW_MS, CLOCK)).toBe(true);
  });

  it("refuses anything that could outlive its remembered event id", () => {
    expect(signedCallbackFresh(NOW - 7 * DAY + CALLBACK_CLOCK_SKEW_MS - 1, CLOCK)).toBe(false);
    expect(signedCallbackFresh(NOW - 7 * DAY, CLOCK)).toBe(false);
    expect(signedCallbackFresh(NOW + CALLBACK_CLOCK_SKEW_MS + 1, CLOCK)).toBe(false);
  });
});

describe("readCallbackRequest and the timestamp", () => {
  it("refuses a correctly signed body dated 2001, or a year ahead, as stale", async () => {
    for (const timestamp of [978_307_200, "2001-01-01T00:00:00Z", NOW / 1000 + 365 * 86_400]) {
      expect(await readCallbackRequest(await signedBody({ timestamp }), SECRET, CLOCK)).toEqual({
        ok: false,
        refusal: "stale",
      });
    }
  });

  it("accepts a fresh signed body in each form LlamaCloud sends", async () => {
    for (const timestamp of [NOW / 1000 - 30.5, new Date(NOW - 60_000).toISOString()]) {
      const read = await readCallbackRequest(await signedBody({ timestamp }), SECRET, CLOCK);
      expect(read.ok, String(timestamp)).toBe(true);
    }
  });

  it("refuses a signed body without a readable timestamp", async () => {
    for (const fields of [{}, { timestamp: null }, { timestamp: "soon" }]) {
      expect(await readCallbackRequest(await signedBody(fields), SECRET, CLOCK)).toEqual({
        ok: false,
        refusal: "no_timestamp",
      });
    }
  });

  it("has no timestamp rule for unsigned callbacks (anyone could forge a fresh one)", async () => {
    const unsigned = { ...(await signedBody({ timestamp: 978_307_200 })), signature: null };
    expect((await readCallbackRequest(unsigned, undefined, CLOCK)).ok).toBe(true);
    const none = { ...(await signedBody({})), signature: null };
    expect((await readCallbackRequest(none, undefined, CLOCK)).ok).toBe(true);
  });
});
