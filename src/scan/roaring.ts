// The RoaringBitmapArray format of deletion vectors (PROTOCOL.md "Deletion Vector Format"): a magic
// number, then the portable 64-bit Roaring layout (32-bit keys over standard 32-bit Roaring bitmaps
// with array, bitmap and run containers, github.com/RoaringBitmap/RoaringFormatSpec). Plus CRC-32.
import { CorruptDataError, type ErrorContext } from '../errors.js'

export const DV_MAGIC = 1681511377
const SERIAL_COOKIE_NO_RUN = 12346
const SERIAL_COOKIE = 12347
const NO_OFFSET_THRESHOLD = 4
const ARRAY_MAX = 4096
/** Keys above this would put row indexes past 2^53, beyond what a JS number holds exactly. */
const MAX_KEY = 2 ** 21 - 1

/**
 * Decode a serialized RoaringBitmapArray into its row indexes, ascending. `maxCardinality` bounds
 * what is allocated (the descriptor's `cardinality`); a bitmap claiming more is corrupt.
 */
export function decodeRoaringBitmapArray(bytes: Uint8Array, maxCardinality: number, ctx: ErrorContext = {}): Float64Array {
  const r = new Reader(bytes, ctx)
  const magic = r.u32()
  if (magic !== DV_MAGIC) throw corrupt(`deletion vector has magic number ${magic}, expected ${DV_MAGIC}`, ctx)
  const buckets = r.u64()
  if (buckets > (bytes.length - 12) / 8) throw corrupt(`deletion vector claims ${buckets} buckets in ${bytes.length} bytes`, ctx)
  // Allocate what the bytes can hold, not what the log claims: a run of 65,536 rows takes at least
  // 10 bytes, so no bitmap holds more than 8,192 rows per byte (an absurd cardinality is then caught
  // by the cardinality check instead of allocating gigabytes).
  const out = new Float64Array(Math.min(maxCardinality, bytes.length * 8192))
  let n = 0
  let lastKey = -1
  for (let b = 0; b < buckets; b++) {
    const key = r.u32()
    if (key <= lastKey) throw corrupt('deletion vector buckets are not in ascending key order', ctx)
    if (key > MAX_KEY) throw corrupt(`deletion vector bucket key ${key} is beyond supported row indexes`, ctx)
    lastKey = key
    n = decodeRoaring32(r, key * 2 ** 32, out, n, out.length, ctx)
  }
  if (r.pos !== bytes.length) throw corrupt(`deletion vector has ${bytes.length - r.pos} trailing bytes`, ctx)
  return n === out.length ? out : out.slice(0, n)
}

function decodeRoaring32(r: Reader, high: number, out: Float64Array, n: number, max: number, ctx: ErrorContext): number {
  const cookie = r.u32()
  let size: number
  let runFlags: Uint8Array | undefined
  if ((cookie & 0xffff) === SERIAL_COOKIE) {
    size = (cookie >>> 16) + 1
    runFlags = r.bytes(Math.ceil(size / 8))
  } else if (cookie === SERIAL_COOKIE_NO_RUN) {
    size = r.u32()
  } else {
    throw corrupt(`deletion vector has an unknown Roaring cookie ${cookie}`, ctx)
  }
  if (size > 65536 || size * 4 > r.remaining()) throw corrupt(`deletion vector claims ${size} containers`, ctx)
  const keys = new Array<number>(size)
  const cards = new Array<number>(size)
  let total = 0
  for (let i = 0; i < size; i++) {
    keys[i] = r.u16()
    cards[i] = r.u16() + 1
    if (i > 0 && keys[i] <= keys[i - 1]) throw corrupt('deletion vector containers are not in ascending key order', ctx)
    total += cards[i]
  }
  if (n + total > max) throw corrupt(`deletion vector holds more rows than its stated cardinality ${max}`, ctx)
  if (!runFlags || size >= NO_OFFSET_THRESHOLD) r.skip(4 * size) // offsets: containers are read in order
  for (let i = 0; i < size; i++) {
    const base = high + keys[i] * 65536
    const isRun = runFlags !== undefined && (runFlags[i >>> 3] & (1 << (i & 7))) !== 0
    const start = n
    if (isRun) {
      const runs = r.u16()
      let prevEnd = -1
      for (let j = 0; j < runs; j++) {
        const s = r.u16()
        const len = r.u16() + 1
        if (s <= prevEnd || s + len > 65536) throw corrupt('deletion vector has overlapping or out-of-range runs', ctx)
        if (n + len > max) throw corrupt(`deletion vector holds more rows than its stated cardinality ${max}`, ctx)
        for (let v = 0; v < len; v++) out[n++] = base + s + v
        prevEnd = s + len - 1
      }
    } else if (cards[i] <= ARRAY_MAX) {
      let prev = -1
      for (let j = 0; j < cards[i]; j++) {
        const v = r.u16()
        if (v <= prev) throw corrupt('deletion vector array container is not sorted', ctx)
        out[n++] = base + v
        prev = v
      }
    } else {
      const words = r.bytes(8192)
      for (let byte = 0; byte < 8192; byte++) {
        let w = words[byte]
        while (w !== 0) {
          const bit = 31 - Math.clz32(w & -w)
          if (n >= max) throw corrupt(`deletion vector holds more rows than its stated cardinality ${max}`, ctx)
          out[n++] = base + byte * 8 + bit
          w &= w - 1
        }
      }
    }
    if (n - start !== cards[i]) throw corrupt(`deletion vector container ${i} holds ${n - start} rows, header says ${cards[i]}`, ctx)
  }
  return n
}

/** Serialize ascending, distinct row indexes as a RoaringBitmapArray (magic included). */
export function encodeRoaringBitmapArray(rows: ArrayLike<number>): Uint8Array {
  // Group by 32-bit key, then by 16-bit container key. Rows ascend, so a container is a contiguous
  // range: its low 16 bits go into one shared array and the container is a view of it.
  const lows = new Uint16Array(rows.length)
  const buckets: { key: number; containers: { key: number; values: Uint16Array }[] }[] = []
  let bucket: (typeof buckets)[number] | undefined
  let containerKey = -1
  let containerStart = 0
  const close = (end: number) => {
    if (bucket && containerKey >= 0) bucket.containers.push({ key: containerKey, values: lows.subarray(containerStart, end) })
  }
  let prev = -1
  for (let i = 0; i < rows.length; i++) {
    const v = rows[i]
    if (!Number.isSafeInteger(v) || v < 0 || v <= prev) throw new RangeError(`row indexes must be ascending safe integers (at ${i}: ${v})`)
    prev = v
    const hi = Math.floor(v / 2 ** 32)
    const lo = v - hi * 2 ** 32
    const ck = lo >>> 16
    if (!bucket || bucket.key !== hi) {
      close(i)
      buckets.push((bucket = { key: hi, containers: [] }))
      containerKey = ck
      containerStart = i
    } else if (ck !== containerKey) {
      close(i)
      containerKey = ck
      containerStart = i
    }
    lows[i] = lo & 0xffff
  }
  close(rows.length)
  const w = new Writer()
  w.u32(DV_MAGIC)
  w.u64(buckets.length)
  for (const b of buckets) {
    w.u32(b.key)
    encodeRoaring32(w, b.containers)
  }
  return w.finish()
}

function encodeRoaring32(w: Writer, containers: { key: number; values: Uint16Array }[]): void {
  const kinds = containers.map((c) => {
    const runs = countRuns(c.values)
    const runSize = 2 + 4 * runs
    const plainSize = c.values.length <= ARRAY_MAX ? 2 * c.values.length : 8192
    return runSize < plainSize ? 'run' : c.values.length <= ARRAY_MAX ? 'array' : 'bitmap'
  })
  const hasRuns = kinds.includes('run')
  const size = containers.length
  if (hasRuns) {
    w.u32(SERIAL_COOKIE | ((size - 1) << 16))
    const flags = new Uint8Array(Math.ceil(size / 8))
    kinds.forEach((k, i) => { if (k === 'run') flags[i >>> 3] |= 1 << (i & 7) })
    w.raw(flags)
  } else {
    w.u32(SERIAL_COOKIE_NO_RUN)
    w.u32(size)
  }
  for (const c of containers) {
    w.u16(c.key)
    w.u16(c.values.length - 1)
  }
  const bodies = containers.map((c, i) => containerBody(c.values, kinds[i]))
  if (!hasRuns || size >= NO_OFFSET_THRESHOLD) {
    // offsets are from the start of this 32-bit bitmap
    let offset = 4 + (hasRuns ? Math.ceil(size / 8) : 4) + 4 * size + 4 * size
    for (const body of bodies) {
      w.u32(offset)
      offset += body.length
    }
  }
  for (const body of bodies) w.raw(body)
}

function containerBody(values: Uint16Array, kind: string): Uint8Array {
  if (kind === 'bitmap') {
    const words = new Uint8Array(8192)
    for (const v of values) words[v >>> 3] |= 1 << (v & 7)
    return words
  }
  // Little-endian u16s written straight into one buffer (a Writer call per value allocated twice).
  if (kind === 'array') {
    const out = new Uint8Array(2 * values.length)
    for (let i = 0; i < values.length; i++) { out[2 * i] = values[i] & 0xff; out[2 * i + 1] = values[i] >>> 8 }
    return out
  }
  const runs = countRuns(values)
  const out = new Uint8Array(2 + 4 * runs)
  out[0] = runs & 0xff
  out[1] = runs >>> 8
  let o = 2
  for (let i = 0; i < values.length;) {
    let j = i
    while (j + 1 < values.length && values[j + 1] === values[j] + 1) j++
    const len = j - i
    out[o++] = values[i] & 0xff; out[o++] = values[i] >>> 8
    out[o++] = len & 0xff; out[o++] = len >>> 8
    i = j + 1
  }
  return out
}

function countRuns(values: Uint16Array): number {
  let runs = 0
  for (let i = 0; i < values.length; i++) if (i === 0 || values[i] !== values[i - 1] + 1) runs++
  return runs
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[n] = c >>> 0
  }
  return t
})()

/** CRC-32 (IEEE 802.3, as java.util.zip.CRC32) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

function corrupt(message: string, ctx: ErrorContext): CorruptDataError {
  return new CorruptDataError(message, ctx)
}

/** Little-endian cursor that reports truncation as corrupt data. */
class Reader {
  pos = 0
  private readonly view: DataView
  constructor(private readonly buf: Uint8Array, private readonly ctx: ErrorContext) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  }
  remaining(): number { return this.buf.length - this.pos }
  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw corrupt(`deletion vector is truncated (needs ${n} bytes at offset ${this.pos} of ${this.buf.length})`, this.ctx)
  }
  u16(): number { this.need(2); const v = this.view.getUint16(this.pos, true); this.pos += 2; return v }
  u32(): number { this.need(4); const v = this.view.getUint32(this.pos, true); this.pos += 4; return v }
  u64(): number {
    this.need(8)
    const lo = this.view.getUint32(this.pos, true)
    const hi = this.view.getUint32(this.pos + 4, true)
    this.pos += 8
    if (hi !== 0) throw corrupt(`deletion vector count ${hi} * 2^32 + ${lo} is out of range`, this.ctx)
    return lo
  }
  bytes(n: number): Uint8Array { this.need(n); const b = this.buf.subarray(this.pos, this.pos + n); this.pos += n; return b }
  skip(n: number): void { this.need(n); this.pos += n }
}

class Writer {
  private chunks: Uint8Array[] = []
  private size = 0
  private push(b: Uint8Array): void { this.chunks.push(b); this.size += b.length }
  u16(v: number): void { const b = new Uint8Array(2); new DataView(b.buffer).setUint16(0, v, true); this.push(b) }
  u32(v: number): void { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v >>> 0, true); this.push(b) }
  u64(v: number): void { const b = new Uint8Array(8); new DataView(b.buffer).setUint32(0, v >>> 0, true); this.push(b) }
  raw(b: Uint8Array): void { this.push(b) }
  finish(): Uint8Array {
    const out = new Uint8Array(this.size)
    let o = 0
    for (const c of this.chunks) { out.set(c, o); o += c.length }
    return out
  }
}
