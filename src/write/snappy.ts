// Snappy compression (the raw format of google/snappy's format_description.txt) into one buffer
// sized for the worst case: no growing writer, no per-byte calls. Compressing pages is the largest
// single cost of writing Parquet in JS; this runs about twice as fast as the generic one.

const BLOCK = 1 << 16
const HASH_BITS = 14
const HASH_SHIFT = 32 - HASH_BITS
/** After a block that hardly compressed, this many blocks minus one are stored before trying again. */
const RETRY = 8
const MARGIN = 15 // the last bytes of a block are emitted as literal, so 4-byte loads stay in bounds

const table = new Uint16Array(1 << HASH_BITS)

/** Bytes a compressed buffer may need at most (google/snappy's MaxCompressedLength). */
export function maxCompressedLength(n: number): number {
  return 32 + n + Math.floor(n / 6)
}

/** Snappy-compress `input`. */
export function snappyCompress(input: Uint8Array): Uint8Array {
  const out = new Uint8Array(maxCompressedLength(input.length))
  return out.subarray(0, snappyCompressInto(input, out))
}

/**
 * Snappy-compress `input` into `out` (at least `maxCompressedLength(input.length)` bytes); returns
 * the compressed length. Lets a page encoder reuse one buffer instead of allocating a page-sized one
 * per page (large allocations are external memory that drives V8 into full collections).
 */
export function snappyCompressInto(input: Uint8Array, out: Uint8Array): number {
  const n = input.length
  if (out.length < maxCompressedLength(n)) throw new RangeError(`snappy output buffer of ${out.length} bytes is smaller than ${maxCompressedLength(n)}`)
  let op = 0
  let v = n
  while (v >= 0x80) { out[op++] = (v & 0x7f) | 0x80; v >>>= 7 }
  out[op++] = v
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength)
  // Blocks that compressed by less than an eighth (random doubles, timestamps) are followed by
  // blocks stored as literals, with a retry every RETRY blocks: a copy instead of a match search
  // that finds little, and the stream stays plain Snappy for every reader.
  let stored = 0
  for (let start = 0; start < n; start += BLOCK) {
    const end = Math.min(n, start + BLOCK)
    if (stored > 0) {
      stored--
      op = emitLiteral(input, start, end - start, out, op)
      continue
    }
    const before = op
    op = compressBlock(input, view, start, end, out, op)
    if ((op - before) * 8 > (end - start) * 7) stored = RETRY - 1
  }
  return op
}

/** Unaligned little-endian 32-bit load; DataView reads are inlined by V8 (faster than 4 byte loads). */
function load32(v: DataView, i: number): number {
  return v.getInt32(i, true)
}

function hash(x: number): number {
  return Math.imul(x, 0x1e35a7bd) >>> HASH_SHIFT
}

function emitLiteral(input: Uint8Array, from: number, len: number, out: Uint8Array, op: number): number {
  const n = len - 1
  if (n < 60) out[op++] = n << 2
  else if (n < 0x100) { out[op++] = 60 << 2; out[op++] = n }
  else if (n < 0x10000) { out[op++] = 61 << 2; out[op++] = n & 0xff; out[op++] = n >>> 8 }
  else if (n < 0x1000000) { out[op++] = 62 << 2; out[op++] = n & 0xff; out[op++] = (n >>> 8) & 0xff; out[op++] = n >>> 16 }
  else { out[op++] = 63 << 2; out[op++] = n & 0xff; out[op++] = (n >>> 8) & 0xff; out[op++] = (n >>> 16) & 0xff; out[op++] = n >>> 24 }
  // Short literals byte by byte: a subarray per literal costs more than the copy.
  if (len <= 32) {
    for (let i = 0; i < len; i++) out[op + i] = input[from + i]
  } else {
    out.set(input.subarray(from, from + len), op)
  }
  return op + len
}

/** Copy elements: 2-byte offsets for long runs, the 1-byte-offset form when it fits (len 4..11, offset < 2048). */
function emitCopy(offset: number, len: number, out: Uint8Array, op: number): number {
  while (len >= 68) { out[op++] = 2 | (63 << 2); out[op++] = offset & 0xff; out[op++] = offset >>> 8; len -= 64 }
  if (len > 64) { out[op++] = 2 | (59 << 2); out[op++] = offset & 0xff; out[op++] = offset >>> 8; len -= 60 }
  if (len >= 12 || offset >= 2048) {
    out[op++] = 2 | ((len - 1) << 2); out[op++] = offset & 0xff; out[op++] = offset >>> 8
  } else {
    out[op++] = 1 | ((len - 4) << 2) | ((offset >>> 8) << 5); out[op++] = offset & 0xff
  }
  return op
}

/** Greedy hash matching within one 64 KiB block (offsets always fit 16 bits). */
function compressBlock(input: Uint8Array, view: DataView, start: number, end: number, out: Uint8Array, op: number): number {
  let nextEmit = start
  if (end - start >= MARGIN) {
    table.fill(0)
    const limit = end - MARGIN
    let ip = start + 1
    let nextHash = hash(load32(view, ip))
    outer: for (;;) {
      // Look for a 4-byte match, probing further apart the longer nothing matches.
      let skip = 32
      let nextIp = ip
      let candidate: number
      do {
        ip = nextIp
        const h = nextHash
        nextIp = ip + (skip++ >>> 5)
        if (nextIp > limit) break outer
        nextHash = hash(load32(view, nextIp))
        candidate = start + table[h]
        table[h] = ip - start
      } while (load32(view, ip) !== load32(view, candidate))
      op = emitLiteral(input, nextEmit, ip - nextEmit, out, op)
      // Emit copies while the bytes right after a match start another one.
      do {
        const base = ip
        let matched = 4
        // Four bytes a step while a whole word fits, then byte by byte.
        while (ip + matched + 4 <= end && load32(view, ip + matched) === load32(view, candidate + matched)) matched += 4
        while (ip + matched < end && input[ip + matched] === input[candidate + matched]) matched++
        ip += matched
        op = emitCopy(base - candidate, matched, out, op)
        nextEmit = ip
        if (ip >= limit) break outer
        table[hash(load32(view, ip - 1))] = ip - 1 - start
        const h = hash(load32(view, ip))
        candidate = start + table[h]
        table[h] = ip - start
      } while (load32(view, ip) === load32(view, candidate))
      nextHash = hash(load32(view, ++ip))
    }
  }
  if (nextEmit < end) op = emitLiteral(input, nextEmit, end - nextEmit, out, op)
  return op
}
