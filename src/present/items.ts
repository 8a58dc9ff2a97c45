/**
 * The item, one file of a job, as the API and the job page show it (README "Using it"): for a v2
 * batch every `results` entry with its child job's state, for a v1 job the failed items read from
 * LlamaCloud's items endpoint.
 */
import { z } from "@hono/zod-openapi";
import type { ItemRow } from "../db/schema";
import { utc } from "./time";

export const itemSchema = z
  .object({
    item_id: z.string().openapi({
      description: "v2: the file's `source_directory_file_id`; v1: the item's `item_id`.",
      example: "dfl-3c9a01",
    }),
    name: z.string().nullable().openapi({ description: "The file's name, when LlamaCloud gave one." }),
    status: z.string().openapi({
      description:
        "Lower case: pending, processing, running, completed, failed, skipped, cancelled, or what LlamaCloud sent.",
      example: "failed",
    }),
    error_message: z.string().nullable(),
    child_job_id: z.string().nullable().openapi({
      description: "v2: the job the file became; null for v1 items and for files that could not be mapped.",
      example: "pjb-7d2e90",
    }),
    updated_at: z.string().nullable().openapi({
      format: "date-time",
      description:
        "When the item last changed upstream (v2: its child job's time; v1: completed, else started).",
      example: "2026-11-28T12:00:00.000Z",
    }),
  })
  .openapi("Item");

export type ItemJson = z.infer<typeof itemSchema>;

export function presentItem(row: ItemRow): ItemJson {
  return {
    item_id: row.itemId,
    name: row.name,
    status: row.status,
    error_message: row.errorMessage,
    child_job_id: row.childJobId,
    updated_at: utc(row.updatedAt),
  };
}
