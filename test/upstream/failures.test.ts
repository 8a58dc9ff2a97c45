import { describe, expect, it } from "vitest";
import {
  classifyHttpFailure,
  classifyThrown,
  DEFAULT_RATE_LIMIT_PAUSE_MS,
  MAX_RATE_LIMIT_PAUSE_MS,
  parseRetryAfter,
} from "../../src/upstream/failures";

const now = Date.parse("2026-11-28T12:00:00Z");

describe("parseRetryAfter", () => {
  it.each([
    ["30", now + 30_000],
    ["0", now],
    [" 2 ", now + 2_000],
    ["1.5", now + 1_500],
    ["Sat, 28 Nov 2026 12:05:00 GMT", now + 5 * 60_000],
    ["Saturday, 28-Nov-26 12:05:00 GMT", now + 5 * 60_000],
    ["Sat Nov 28 12:05:00 2026", now + 5 * 60_000],
  ])("reads %j", (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });

  it("treats a date in the past as now", () => {
    expect(parseRetryAfter("Sat, 28 Nov 2026 11:00:00 GMT", now)).toBe(now);
  });

  it.each([
    null,
    undefined,
    "",
    "soon",
    "-5",
    // Date.parse would read each of these as some date; none is an HTTP-date.
    "May 2099",
    "foo 2030",
    "x 1",
    "2026-11-28T12:05:00Z",
    "Sat, 28 Nov 2026 12:05:00",
  ])("rejects %j", (value) => {
    expect(parseRetryAfter(value, now)).toBeNull();
  });
});

describe("classifyHttpFailure", () => {
  it.each([
    [401, "unauthorized"],
    [403, "unauthorized"],
    [404, "not_found"],
    [500, "server_error"],
    [502, "server_error"],
    [503, "server_error"],
    [400, "client_error"],
    [422, "client_error"],
  ])("HTTP %i is %s", (status, kind) => {
    const failure = classifyHttpFailure(status, null, now);
    expect(failure.kind).toBe(kind);
    expect(failure.httpStatus).toBe(status);
    expect(failure.retryAt).toBeUndefined();
  });

  it("turns a 429 into a pause until Retry-After (seconds)", () => {
    expect(classifyHttpFailure(429, "120", now)).toMatchObject({
      kind: "rate_limited",
      retryAt: now + 120_000,
    });
  });

  it("turns a 429 into a pause until Retry-After (HTTP date)", () => {
    const failure = classifyHttpFailure(429, "Sat, 28 Nov 2026 12:10:00 GMT", now);
    expect(failure).toMatchObject({ kind: "rate_limited", retryAt: now + 10 * 60_000 });
  });

  it("pauses for a default time when a 429 has no usable Retry-After", () => {
    expect(classifyHttpFailure(429, null, now).retryAt).toBe(now + DEFAULT_RATE_LIMIT_PAUSE_MS);
    expect(classifyHttpFailure(429, "garbage", now).retryAt).toBe(now + DEFAULT_RATE_LIMIT_PAUSE_MS);
  });

  it("caps an absurd Retry-After", () => {
    expect(classifyHttpFailure(429, "999999", now).retryAt).toBe(now + MAX_RATE_LIMIT_PAUSE_MS);
  });
});

describe("classifyThrown", () => {
  it("calls our own timeout a timeout", () => {
    const error = new DOMException("The operation timed out.", "TimeoutError");
    expect(classifyThrown(error, 10_000)).toMatchObject({ kind: "timeout" });
  });

  it("calls anything else a network failure, with one clean sentence", () => {
    const failure = classifyThrown(new TypeError("Network connection lost."), 10_000);
    expect(failure.kind).toBe("network");
    expect(failure.message).toBe("Could not reach LlamaCloud: Network connection lost.");
  });
});
