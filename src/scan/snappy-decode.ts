// Snappy decompression (the raw format Parquet pages hold: a varint length preamble, then literal and
// copy elements) into a caller's buffer, e.g. a view of the typed array a column is decoded into, so
// a PLAIN page needs no intermediate copy. Malformed input throws a plain Error (callers wrap it
// with the file's name); nothing is read or written outside `src` and `dst`.

/**
 * Decompress `src` into `dst`, whose length must be exactly the uncompressed length the stream states.
 */
export function snappyDecompressInto(src: Uint8Array, dst: Uint8Array): void {
  const n = src.length
  const len = dst.length
  let pos = 0
  // preamble: the uncompressed length as a little-endian base-128 varint (at most 32 bits)
  let stated = 0
  for (let shift = 0; ; shift += 7) {
    if (pos >= n || shift > 28) throw new Error('snappy: truncated or oversized length preamble')
    const c = src[pos++]
    stated += (c & 0x7f) * 2 ** shift
    if (c < 0x80) break
  }
  if (stated !== len) throw new Error(`snappy: the stream holds ${stated} bytes, the page ${len}`)
  const view = new DataView(dst.buffer, dst.byteOffset, dst.byteLength)
  let out = 0
  while (pos < n) {
    const tag = src[pos++]
    const kind = tag & 3
    if (kind === 0) {
      // literal: length-1 in the tag's upper 6 bits, or in the 1–4 bytes after it (60–63)
      let l = (tag >>> 2) + 1
      if (l > 60) {
        const extra = l - 60
        if (pos + extra > n) throw new Error('snappy: truncated literal length')
        l = src[pos]
        if (extra > 1) l += src[pos + 1] * 0x100
        if (extra > 2) l += src[pos + 2] * 0x10000
        if (extra > 3) l += src[pos + 3] * 0x1000000
        l += 1
        pos += extra
      }
      if (pos + l > n) throw new Error('snappy: literal runs past the input')
      if (out + l > len) throw new Error('snappy: literal runs past the stated length')
      if (l < 16) for (let i = 0; i < l; i++) dst[out + i] = src[pos + i]
      else dst.set(src.subarray(pos, pos + l), out)
      pos += l
      out += l
      continue
    }
    let l: number
    let offset: number
    if (kind === 1) {
      if (pos >= n) throw new Error('snappy: truncated copy')
      l = ((tag >>> 2) & 7) + 4
      offset = ((tag >>> 5) << 8) | src[pos++]
    } else if (kind === 2) {
      if (pos + 2 > n) throw new Error('snappy: truncated copy')
      l = (tag >>> 2) + 1
      offset = src[pos] | (src[pos + 1] << 8)
      pos += 2
    } else {
      if (pos + 4 > n) throw new Error('snappy: truncated copy')
      l = (tag >>> 2) + 1
      offset = (src[pos] | (src[pos + 1] << 8) | (src[pos + 2] << 16) | (src[pos + 3] << 24)) >>> 0
      pos += 4
    }
    if (offset === 0 || offset > out) throw new Error(`snappy: copy offset ${offset} at output byte ${out}`)
    if (out + l > len) throw new Error('snappy: copy runs past the stated length')
    const from = out - offset
    if (offset >= 8 && l <= 16 && out + 16 <= len) {
      // short copies (most of them, e.g. int64 columns): whole 8-byte words, past the end where that
      // stays inside `dst` (later elements overwrite it); offset ≥ 8, so each word reads finished bytes
      view.setInt32(out, view.getInt32(from, true), true)
      view.setInt32(out + 4, view.getInt32(from + 4, true), true)
      if (l > 8) {
        view.setInt32(out + 8, view.getInt32(from + 8, true), true)
        view.setInt32(out + 12, view.getInt32(from + 12, true), true)
      }
    } else if (l >= 32 && offset >= l) dst.copyWithin(out, from, from + l)
    // an overlapping copy (offset < length) repeats the last `offset` bytes: byte by byte, forwards
    else for (let i = 0; i < l; i++) dst[out + i] = dst[from + i]
    out += l
  }
  if (out !== len) throw new Error(`snappy: the stream ends after ${out} of ${len} bytes`)
}
