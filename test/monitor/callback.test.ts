import { describe, expect, it } from "vitest";
import { CALLBACK_POLLS_PER_MINUTE, callbackAction } from "../../src/monitor/callback";

describe("callbackAction", () => {
  const fresh = { repeated: false, namesTrackedJob: true, lastMinute: 1 };

  it("does nothing for a repeated event id, whatever it names", () => {
    expect(callbackAction({ ...fresh, repeated: true })).toBe("none");
    expect(callbackAction({ ...fresh, repeated: true, namesTrackedJob: false })).toBe("none");
  });

  it("polls the tracked job it names", () => {
    expect(callbackAction(fresh)).toBe("poll");
    expect(callbackAction({ ...fresh, lastMinute: CALLBACK_POLLS_PER_MINUTE })).toBe("poll");
  });

  it("only makes the job due once the minute's callbacks pass the limit", () => {
    expect(callbackAction({ ...fresh, lastMinute: CALLBACK_POLLS_PER_MINUTE + 1 })).toBe("due");
  });

  it("makes every active job due when it names no tracked job, flood or not", () => {
    expect(callbackAction({ ...fresh, namesTrackedJob: false })).toBe("all_due");
    expect(callbackAction({ ...fresh, namesTrackedJob: false, lastMinute: 10_000 })).toBe("all_due");
  });
});
