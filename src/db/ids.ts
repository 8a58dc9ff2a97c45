/** The ids and secrets batchwatch makes for its own rows. */

/** A row id: the prefix names the kind (`sub`, `evt`), then 32 random hex digits. */
export function randomId(prefix: string): string {
  return `${prefix}_${crypto.randomUUID().replaceAll("-", "")}`;
}

/**
 * A signing secret in the Standard Webhooks format: `whsec_` and base64 of 32 random bytes (the
 * scheme asks for 24 to 64).
 */
export function generateSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `whsec_${btoa(String.fromCharCode(...bytes))}`;
}
