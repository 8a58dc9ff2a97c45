import { z } from "@hono/zod-openapi";
import { iso, timestampSchema } from "./time";

/** `last_error` of a job and of a watch: why its latest poll or scan failed. */
export const lastErrorSchema = z
  .object({ code: z.string(), message: z.string(), at: timestampSchema })
  .nullable();

/** The failure columns a job and a watch both keep for their latest upstream error. */
interface LastErrorColumns {
  lastErrorCode: string | null;
  lastErrorMessage: string | null;
  lastErrorAt: number | null;
}

/** `last_error` as the job and the watch JSON show it: null unless both a code and a time were kept. */
export function presentLastError(row: LastErrorColumns): z.infer<typeof lastErrorSchema> {
  return row.lastErrorCode && row.lastErrorAt !== null
    ? { code: row.lastErrorCode, message: row.lastErrorMessage ?? "", at: iso(row.lastErrorAt) }
    : null;
}
