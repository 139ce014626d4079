// UTF-8 encoding of one string into a caller's buffer: the hot loop of writing string columns
// (Parquet pages, Arrow arrays), where a view and an encoder call per value cost more than the copy.
const encoder = new TextEncoder()

/** Write `s` as UTF-8 at `at` (the caller leaves room for `s.length * 3` bytes); returns the bytes written. */
export function writeUtf8(s: string, buf: Uint8Array, at: number): number {
  const n = s.length
  let j = 0
  for (; j < n; j++) {
    const c = s.charCodeAt(j)
    if (c >= 0x80) break
    buf[at + j] = c
  }
  return j === n ? n : encoder.encodeInto(s, buf.subarray(at)).written
}
