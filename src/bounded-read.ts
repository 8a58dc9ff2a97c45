/**
 * Reading a stream with a ceiling, shared by the request bodies batchwatch accepts (`http/body.ts`) and
 * the answers it reads from LlamaCloud (`upstream/v1.ts`): chunk by chunk, so an oversized stream never
 * fills the isolate's memory. What to do with the unread rest differs (drain it or cancel it), so the
 * caller keeps the reader and decides.
 */
export async function readUpTo(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  maxBytes: number,
): Promise<Uint8Array | null> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) return null;
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
