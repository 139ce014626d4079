// Fast path for the MERGE probe: a single integer join key (long/integer/short/byte) stored as a
// plain top-level INT64/INT32 Parquet column is read as the decoder's typed array, with no per-value
// conversion (the values are already Delta values: bigint for INT64, number for INT32), and probed
// against the source index without allocating a BigInt per row. Anything else takes the general path.
import { parquetMetadataAsync, parquetScan } from 'hyparquet'
import { CorruptDataError, DeltaError } from '../errors.js'
import type { AddFile } from '../log/actions.js'
import type { Snapshot } from '../log/snapshot.js'
import { asyncBufferFor } from '../storage/async-buffer.js'
import { decompressorsFor } from '../scan/decompressors.js'
import { guardPages } from '../scan/page-guard.js'
import { FOOTER_FETCH } from '../scan/parquet-read.js'
import { readPlainIntColumn } from '../scan/plain-int-column.js'
import { physicalName, type StructField } from '../schema/types.js'
import type { DeltaValue } from '../schema/values.js'
import type { SourceIndex } from './join.js'

const PHYSICAL: Record<string, string> = { long: 'INT64', integer: 'INT32', short: 'INT32', byte: 'INT32' }

/** Whether `field` may take the fast path on this table (not a partition column, no id-based mapping). */
export function rawKeyEligible(snapshot: Snapshot, field: StructField): boolean {
  return typeof field.type === 'string' && field.type in PHYSICAL && snapshot.columnMappingMode !== 'id'
    && !snapshot.partitionColumns.some((c) => c.toLowerCase() === field.name.toLowerCase())
}

/**
 * The key column of every physical row of `add`, or undefined when this file does not store it as
 * a plain required/optional INT64/INT32 column of the expected type (the caller falls back).
 */
export async function readRawKey(snapshot: Snapshot, add: AddFile, field: StructField): Promise<{ numRows: number; values: ArrayLike<DeltaValue> } | undefined> {
  const cacheKey = `${storeId(snapshot.store)}|${add.path}|${add.size}|${physicalName(field, snapshot.columnMappingMode)}`
  const hit = keyCache.get(cacheKey)
  if (hit) {
    keyCache.delete(cacheKey) // re-insert: most recently used last
    keyCache.set(cacheKey, hit)
    return hit
  }
  let r: Awaited<ReturnType<typeof readRawKeyUncached>>
  try {
    r = await readRawKeyUncached(snapshot, add, field)
  } catch (e) {
    // hyparquet throws plain Errors (RangeError, TypeError) on damaged or short files.
    if (e instanceof DeltaError) throw e
    const table = snapshot.tableUrl
    throw new CorruptDataError(`cannot read key column ${field.name} of ${add.path} in table ${table}: ${(e as Error)?.message ?? e}`, { table, version: snapshot.version, file: add.path, column: field.name, cause: e })
  }
  if (r && (r.values instanceof BigInt64Array || r.values instanceof Int32Array)) remember(cacheKey, r as CachedKey)
  return r
}

/**
 * Seed the cache with the key column of a file this process just wrote from `values` (rows in file
 * order): the next merge into the table probes it without reading it back.
 */
export function rememberWrittenKey(snapshot: Snapshot, add: AddFile, field: StructField, values: ArrayLike<DeltaValue> | undefined): void {
  if (!rawKeyEligible(snapshot, field)) return
  // what readRawKey would read back: INT64 for long, INT32 without a logical type for integer
  const ok = (field.type === 'long' && values instanceof BigInt64Array) || (field.type === 'integer' && values instanceof Int32Array)
  if (!ok || values.length === 0) return
  remember(`${storeId(snapshot.store)}|${add.path}|${add.size}|${physicalName(field, snapshot.columnMappingMode)}`, { numRows: values.length, values })
}

// Data files never change once written, so a file's key column can be kept between merges (a CDC
// stream merging into the same table re-reads nothing); deletion vectors come from the snapshot
// each time. Bounded by KEY_CACHE.maxBytes, least recently used evicted first.
interface CachedKey { numRows: number; values: BigInt64Array | Int32Array }
export const KEY_CACHE = { maxBytes: 64 * 1024 * 1024 }
const keyCache = new Map<string, CachedKey>()
let cachedBytes = 0
const storeIds = new WeakMap<object, number>()
let nextStoreId = 0
/** A number per store object (cache keys). */
export function storeId(store: object): number {
  let id = storeIds.get(store)
  if (id === undefined) storeIds.set(store, (id = nextStoreId++))
  return id
}
function remember(key: string, entry: CachedKey): void {
  const bytes = entry.values.byteLength
  if (bytes > KEY_CACHE.maxBytes) return
  keyCache.set(key, entry)
  cachedBytes += bytes
  for (const [k, v] of keyCache) {
    if (cachedBytes <= KEY_CACHE.maxBytes) break
    keyCache.delete(k)
    cachedBytes -= v.values.byteLength
  }
}
/** Drop every cached key column (tests, memory pressure). */
export function clearKeyCache(): void {
  keyCache.clear()
  cachedBytes = 0
}

async function readRawKeyUncached(snapshot: Snapshot, add: AddFile, field: StructField): Promise<{ numRows: number; values: ArrayLike<DeltaValue> } | undefined> {
  const file = await asyncBufferFor(snapshot.store, snapshot.resolvePath(add.path), add.size)
  // a footer is a few KiB: fetch 64 KiB (hyparquet reads the rest when it is longer), not 512
  const metadata = await parquetMetadataAsync(file, { initialFetchSize: FOOTER_FETCH })
  const name = physicalName(field, snapshot.columnMappingMode)
  const el = metadata.schema.find((e, i) => i > 0 && e.name === name && !e.num_children)
  // only a plain top-level leaf of the expected physical type
  if (!el || el.type !== PHYSICAL[field.type as string] || el.repetition_type === 'REPEATED' || el.logical_type || el.converted_type) return undefined
  if (!isTopLevel(metadata.schema, el)) return undefined
  const numRows = Number(metadata.num_rows)
  const guarded = guardPages(file, metadata)
  // plain pages (what we, Spark and arrow-rs write for ids): decoded into one typed array, no copies
  const direct = await readPlainIntColumn(guarded, metadata, name, el.type as 'INT64' | 'INT32', el.repetition_type !== 'REQUIRED')
  if (direct) return { numRows, values: direct as unknown as ArrayLike<DeltaValue> }
  const scan = await parquetScan({ file: guarded, metadata, columns: [name], compressors: await decompressorsFor(metadata), utf8: false } as never) as unknown as {
    readColumn(o: { column: string; rowStart: number; rowEnd: number }): Promise<ArrayLike<unknown>>
  }
  const chunks: ArrayLike<unknown>[] = []
  let start = 0
  for (const rg of metadata.row_groups) {
    const n = Number(rg.num_rows)
    if (n > 0) chunks.push(await scan.readColumn({ column: name, rowStart: start, rowEnd: start + n }))
    start += n
  }
  if (chunks.length === 1 && chunks[0].length === numRows) return { numRows, values: chunks[0] as ArrayLike<DeltaValue> }
  const typed = chunks.every((c) => c instanceof BigInt64Array) ? new BigInt64Array(numRows)
    : chunks.every((c) => c instanceof Int32Array) ? new Int32Array(numRows) : undefined
  if (typed) {
    let o = 0
    for (const c of chunks) { (typed as BigInt64Array).set(c as BigInt64Array, o); o += c.length }
    return { numRows, values: typed as unknown as ArrayLike<DeltaValue> }
  }
  const out = new Array<DeltaValue>(numRows)
  let o = 0
  for (const c of chunks) for (let i = 0; i < c.length; i++) out[o++] = (c[i] ?? null) as DeltaValue
  return { numRows, values: out }
}

/** Whether a schema element is a direct child of the root (walks the flattened schema tree). */
function isTopLevel(schema: { num_children?: number }[], el: unknown): boolean {
  let i = 1
  const rootChildren = schema[0].num_children ?? 0
  for (let c = 0; c < rootChildren && i < schema.length; c++) {
    if (schema[i] === el) return true
    i = skip(schema, i)
  }
  return false
}

function skip(schema: { num_children?: number }[], i: number): number {
  const n = schema[i].num_children ?? 0
  let j = i + 1
  for (let c = 0; c < n; c++) j = skip(schema, j)
  return j
}

const TWO32 = 4294967296

/**
 * Probe every live row's key against the source index (keys as keyValues makes them: safe-range
 * integers as numbers), appending (target row, source row) pairs. `deleted`: ascending DV rows.
 */
export function probeRaw(values: ArrayLike<DeltaValue>, deleted: Float64Array, source: SourceIndex, tIdx: number[], sIdx: number[]): void {
  if (values instanceof BigInt64Array) {
    probeInt64(values, deleted, source, tIdx, sIdx)
    return
  }
  const n = values.length
  let d = 0
  const nextDeleted = (): number => (d < deleted.length ? deleted[d] : Infinity)
  let dv = nextDeleted()
  const index = source.map
  for (let i = 0; i < n; i++) {
    if (i === dv) { d++; dv = nextDeleted(); continue }
    const v = values[i]
    if (v === null || v === undefined) continue
    emitHit(i, index.get(typeof v === 'bigint' ? safeKey(v) : v), tIdx, sIdx)
  }
}

/**
 * probeRaw over an INT64 column: reads the two 32-bit halves (no BigInt allocated per row); a direct
 * table (dense keys) or a bit filter on the low half (else) skips the Map for rows no source key can
 * match. Deleted rows are looked up only for hits (a pointer walking the ascending DV), so the hot
 * loop holds no deletion test.
 */
function probeInt64(values: BigInt64Array, deleted: Float64Array, source: SourceIndex, tIdx: number[], sIdx: number[]): void {
  const n = values.length
  const w = new Int32Array(values.buffer, values.byteOffset, n * 2)
  const nd = deleted.length
  let d = 0
  // few source keys over an ascending column (ids appended in order): a binary search per key
  if (source.keys.length * SORTED_PROBE.minRowsPerKey <= n && ascending(values)) {
    probeSorted(w, n, deleted, source.map, tIdx, sIdx)
    return
  }
  const direct = source.direct
  if (direct) {
    const { table, min } = direct
    const size = table.length
    if (min >= -2147483648 && min + size <= 2147483648) {
      // every key fits 32 bits: a row's value must too (high half = sign of the low half), then int arithmetic
      for (let i = 0; i < n; i++) {
        const lo = w[2 * i]
        if (w[2 * i + 1] !== lo >> 31) continue
        const off = lo - min
        if (off < 0 || off >= size) continue
        const s = table[off]
        if (s < 0) continue
        while (d < nd && deleted[d] < i) d++
        if (d < nd && deleted[d] === i) continue
        tIdx.push(i)
        sIdx.push(s)
      }
      return
    }
    for (let i = 0; i < n; i++) {
      // exact below 2^53; a larger value rounds to a double outside [min, max] (both safe integers)
      const off = w[2 * i + 1] * TWO32 + (w[2 * i] >>> 0) - min
      if (off >= 0 && off < size) {
        const s = table[off]
        if (s < 0) continue
        while (d < nd && deleted[d] < i) d++
        if (d < nd && deleted[d] === i) continue
        tIdx.push(i)
        sIdx.push(s)
      }
    }
    return
  }
  const index = source.map
  const { bits, mask, big } = lowBitsFilter(index)
  for (let i = 0; i < n; i++) {
    const hi = w[2 * i + 1]
    let hit: number | number[] | undefined
    // |value| ≤ 2^53 - 1 exactly when -2^21 < hi < 2^21: the same values keyValues turns into numbers
    // (hi = -2^21 still holds safe integers down to -(2^53 - 1): those take the BigInt path)
    if (hi > -2097152 && hi < 2097152) {
      const b = w[2 * i] & mask
      if ((bits[b >>> 5] & (1 << (b & 31))) === 0) continue
      hit = index.get(hi * TWO32 + (w[2 * i] >>> 0))
    } else {
      if (!big && hi !== -2097152) continue // no key beyond ±2^53 in the index
      hit = index.get(safeKey(values[i]))
    }
    if (hit === undefined) continue
    while (d < nd && deleted[d] < i) d++
    if (d < nd && deleted[d] === i) continue
    emitHit(i, hit, tIdx, sIdx)
  }
}

/** probeInt64 binary-searches an ascending column when it has at least this many rows per source key. */
export const SORTED_PROBE = { minRowsPerKey: 32 }

const ascendingColumns = new WeakMap<BigInt64Array, boolean>()

/** Whether the column's values never decrease (checked once per column: cached key columns keep it). */
function ascending(values: BigInt64Array): boolean {
  let yes = ascendingColumns.get(values)
  if (yes !== undefined) return yes
  const w = new Int32Array(values.buffer, values.byteOffset, values.length * 2)
  yes = true
  for (let i = 1; i < values.length && yes; i++) {
    const h0 = w[2 * i - 1]
    const h1 = w[2 * i + 1]
    if (h1 < h0 || (h1 === h0 && w[2 * i] >>> 0 < w[2 * i - 2] >>> 0)) yes = false
  }
  ascendingColumns.set(values, yes)
  return yes
}

/**
 * The pairs of an ascending INT64 column (as 32-bit words `w`) with the index's keys: keys in
 * ascending order, each found by a binary search from where the previous one ended; target rows
 * come out ascending, as from the linear probe.
 */
function probeSorted(w: Int32Array, n: number, deleted: Float64Array, index: Map<unknown, number | number[]>, tIdx: number[], sIdx: number[]): void {
  const { his, los, rows } = sortedKeys(index)
  let from = 0
  let d = 0
  const nd = deleted.length
  for (let k = 0; k < his.length; k++) {
    const hi = his[k]
    const lo = los[k]
    // first row ≥ key
    let a = from
    let b = n
    while (a < b) {
      const m = (a + b) >>> 1
      const h = w[2 * m + 1]
      if (h < hi || (h === hi && w[2 * m] >>> 0 < lo)) a = m + 1
      else b = m
    }
    from = a
    for (let i = a; i < n && w[2 * i + 1] === hi && w[2 * i] >>> 0 === lo; i++) {
      while (d < nd && deleted[d] < i) d++
      if (d < nd && deleted[d] === i) continue
      emitHit(i, rows[k], tIdx, sIdx)
    }
  }
}

/** The index's integer keys, ascending, as (signed high word, unsigned low word), with their source rows. */
interface SortedKeys { his: Int32Array; los: Uint32Array; rows: (number | number[])[] }
const sortedKeyLists = new WeakMap<Map<unknown, unknown>, SortedKeys>()

/**
 * Built once per index: number keys sorted natively as a Float64Array (they are safe integers, so
 * exact), each then split in words; with a bigint key among them, pairs sorted by a comparator.
 */
function sortedKeys(index: Map<unknown, number | number[]>): SortedKeys {
  const hit = sortedKeyLists.get(index)
  if (hit) return hit
  const nums = new Float64Array(index.size)
  let n = 0
  let big = false
  index.forEach((_, k) => {
    if (typeof k === 'number') { if (Number.isInteger(k)) nums[n++] = k } // an int64 column holds no fraction
    else if (typeof k === 'bigint') big = true
  })
  let out: SortedKeys
  if (!big) {
    const sorted = nums.subarray(0, n).sort()
    out = { his: new Int32Array(n), los: new Uint32Array(n), rows: new Array(n) }
    for (let i = 0; i < n; i++) {
      const k = sorted[i]
      const hi = Math.floor(k / TWO32)
      out.his[i] = hi
      out.los[i] = k - hi * TWO32
      out.rows[i] = index.get(k)!
    }
  } else {
    const keys: { hi: number; lo: number; rows: number | number[] }[] = []
    index.forEach((rows, k) => {
      if (typeof k === 'number') {
        if (!Number.isInteger(k)) return
        const hi = Math.floor(k / TWO32)
        keys.push({ hi, lo: k - hi * TWO32, rows })
      } else if (typeof k === 'bigint') {
        keys.push({ hi: Number(BigInt.asIntN(32, k >> 32n)), lo: Number(BigInt.asUintN(32, k)), rows })
      }
    })
    keys.sort((a, b) => a.hi - b.hi || a.lo - b.lo)
    out = { his: Int32Array.from(keys, (x) => x.hi), los: Uint32Array.from(keys, (x) => x.lo), rows: keys.map((x) => x.rows) }
  }
  sortedKeyLists.set(index, out)
  return out
}

function emitHit(i: number, hit: number | number[] | undefined, tIdx: number[], sIdx: number[]): void {
  if (hit === undefined) return
  if (typeof hit === 'number') { tIdx.push(i); sIdx.push(hit) } else for (const s of hit) { tIdx.push(i); sIdx.push(s) }
}

const filters = new WeakMap<Map<unknown, unknown>, { bits: Int32Array; mask: number; big: boolean }>()

/** A bitset over the low 32 bits of the index's number keys (~64 bits per key, 4 Ki–16 Mi bits: few false hits, each a Map lookup), built once per index. */
function lowBitsFilter(index: Map<unknown, unknown>): { bits: Int32Array; mask: number; big: boolean } {
  const hit = filters.get(index)
  if (hit) return hit
  let size = 4096
  while (size < index.size * 64 && size < 1 << 24) size *= 2
  const bits = new Int32Array(size >>> 5)
  const mask = size - 1
  let big = false // a key that is not a number (bigint beyond ±2^53): rows bypass the filter
  for (const k of index.keys()) {
    if (typeof k !== 'number') { big = true; continue }
    const r = k % TWO32 // integer keys: exact; two's complement low half for negatives
    const lo = r < 0 ? r + TWO32 : r
    const b = lo & mask
    bits[b >>> 5] |= 1 << (b & 31)
  }
  const f = { bits, mask, big }
  filters.set(index, f)
  return f
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)
const safeKey = (v: bigint): unknown => (v <= MAX_SAFE && v >= -MAX_SAFE ? Number(v) : v)
