/**
 * The text a client may send us, shared by every route: ids and labels are at most 200 characters
 * and must be text we can store, show and put into an upstream URL unchanged.
 */
import { z } from "@hono/zod-openapi";

/** A lone UTF-16 surrogate cannot be stored or URL-encoded faithfully. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused.
const CONTROL = /[\u0000-\u001F\u007F]/;

const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => !LONE_SURROGATE.test(s), "must be valid Unicode text");

/**
 * An identifier: also a path segment upstream, so control characters and the dot segments "." and
 * ".." (which URL parsing would resolve away) are refused.
 */
export const idInput = text(200)
  .min(1)
  .refine((s) => !CONTROL.test(s), "must not contain control characters")
  .refine((s) => s !== "." && s !== "..", 'cannot be "." or ".."');

export const labelInput = text(200);

/**
 * An optional body field that may also be sent as `null`, as many JSON clients write a field they
 * have no value for: null means "not given".
 */
export function optionalInput<T extends z.ZodType>(schema: T) {
  return schema
    .nullish()
    .transform((value) => value ?? undefined)
    .openapi({ description: "May be omitted or null." });
}

/**
 * A query parameter that may also be sent empty (`?status=&limit=` from a form or a URL template):
 * empty means "not given", so the default or "no filter" applies.
 */
export function emptyAsMissing<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === "" ? undefined : value), schema);
}

/** Every list's page size: 1–200, 50 when not given. */
export const limitQuery = emptyAsMissing(z.coerce.number().int().min(1).max(200).default(50));
/** Every list's opaque position (see ./cursor.ts). */
export const cursorQuery = emptyAsMissing(z.string().max(1000).optional());
