/** Timestamps as batchwatch shows them everywhere: ISO-8601 strings in UTC. */
import { z } from "@hono/zod-openapi";

/** A timestamp in the API's schemas (jobs, snapshots, watches). */
export const timestampSchema = z
  .string()
  .openapi({ format: "date-time", example: "2026-11-28T12:00:00.000Z" });

/** One of batchwatch's own times (epoch milliseconds) as ISO-8601; null stays null. */
export function iso(ms: number): string;
export function iso(ms: number | null): string | null;
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/**
 * An upstream timestamp as ISO-8601 UTC, like every timestamp batchwatch answers with. LlamaCloud's
 * timestamps without a zone are UTC; a value that does not parse is passed through as sent.
 */
export function utc(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/i.test(value) ? value : `${value}Z`;
  const ms = Date.parse(zoned);
  return Number.isNaN(ms) ? value : new Date(ms).toISOString();
}
