import { iso } from "./time";

/** The failure columns a job and a watch both keep for their latest upstream error. */
interface LastErrorColumns {
  lastErrorCode: string | null;
  lastErrorMessage: string | null;
  lastErrorAt: number | null;
}

/** `last_error` as the job and the watch JSON show it: null unless both a code and a time were kept. */
export function presentLastError(
  row: LastErrorColumns,
): { code: string; message: string; at: string } | null {
  return row.lastErrorCode && row.lastErrorAt !== null
    ? { code: row.lastErrorCode, message: row.lastErrorMessage ?? "", at: iso(row.lastErrorAt) }
    : null;
}
