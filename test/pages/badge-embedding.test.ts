// Who may embed a badge: another site only when PUBLIC_READ opens it to anyone anyway.
import { describe, expect, it } from "vitest";
import { insertJob } from "../helpers/d1";
import { get } from "./helpers";

describe("badge embedding", () => {
  it("is same-origin while reads need a token, even for a reader with credentials", async () => {
    await insertJob({ jobId: "bjb-private-badge", status: "running", progressPercentage: 10 });
    const res = await get("/jobs/bjb-private-badge/badge.svg");
    expect(res.status).toBe(200);
    expect(res.headers.get("cross-origin-resource-policy")).toBe("same-origin");
    // Also when the browser is asked to sign in: nothing about the job may load cross-origin.
    const refused = await get("/jobs/bjb-private-badge/badge.svg", { headers: {} });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("cross-origin-resource-policy")).toBe("same-origin");
  });

  it.each(["true", " TRUE "])("is cross-origin with PUBLIC_READ=%j", async (value) => {
    await insertJob({ jobId: `bjb-open-badge-${value.trim()}`, status: "running" });
    const res = await get(`/jobs/bjb-open-badge-${value.trim()}/badge.svg`, {
      headers: {},
      env: { PUBLIC_READ: value },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("cross-origin-resource-policy")).toBe("cross-origin");
  });
});
