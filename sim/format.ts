// How derived values look: ISO timestamps and stable ids, so answers about the same thing never change.

/** Why a simulated file failed: a v1 item's or a v2 child job's error, picked by the file's index. */
export const FILE_ERRORS = [
  "Document is password protected",
  "Unsupported file type: application/x-msdownload",
  "Page limit exceeded (max 1000 pages)",
];

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** A stable hex fragment derived from `seed` (FNV-1a), so derived ids look real and never change. */
export function fragment(seed: string, length: number): string {
  let out = "";
  for (let round = 0; out.length < length; round++) {
    let hash = 0x811c9dc5 ^ round;
    for (let i = 0; i < seed.length; i++) {
      hash ^= seed.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193);
    }
    out += (hash >>> 0).toString(16).padStart(8, "0");
  }
  return out.slice(0, length);
}

/** A stable UUID-shaped id body derived from `seed`, like LlamaCloud's `dfl-…` / `pjb-…` ids. */
export function uuidLike(seed: string): string {
  const hex = fragment(seed, 32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
