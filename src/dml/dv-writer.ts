// Deletion vectors written by DML (PROTOCOL.md "Deletion Vectors", "Deletion Vector File Storage
// Format"): all the DVs of one commit go into a single `<prefix>/deletion_vector_<uuid>.bin` (`u`
// storage, random two-character prefix, as Spark with randomised prefixes), except tiny ones, which
// are stored inline in the log. The re-added file keeps its path and stats, with `tightBounds: false`
// since deleted rows may still hold the min/max.
import { StorageError } from '../errors.js'
import type { AddFile, DeletionVectorDescriptor } from '../log/actions.js'
import type { ObjectStore } from '../storage/object-store.js'
import { storeId } from './key-read.js'
import { encodeDeletionVectorFile, encodeRoaringBitmapArray, inlineDescriptor, uuidDescriptor, uuidDvRelativePath } from '../scan/deletion-vectors.js'

/** Bitmaps up to this many bytes are stored inline (a few rows; keeps the log small otherwise). */
export const INLINE_DV_MAX_BYTES = 64

const PREFIX_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789'

function randomPrefix(): string {
  const b = globalThis.crypto.getRandomValues(new Uint8Array(2))
  return PREFIX_CHARS[b[0] % PREFIX_CHARS.length] + PREFIX_CHARS[b[1] % PREFIX_CHARS.length]
}

interface Pending { add: AddFile; rows: ArrayLike<number>; bitmap: Uint8Array; numRecords: number }

/** The DVs of one commit; `finish()` writes the DV file and gives the re-added files. */
export class DeletionVectorWriter {
  private readonly pending: Pending[] = []
  bytesWritten = 0

  constructor(private readonly store: ObjectStore, private readonly table: string, private readonly now: number, private readonly inlineMaxBytes = INLINE_DV_MAX_BYTES) {}

  /** `rows`: every deleted row of the file (old DV ∪ new deletions), ascending; `numRecords`: its physical rows. */
  add(add: AddFile, rows: ArrayLike<number>, numRecords: number): void {
    this.pending.push({ add, rows, bitmap: encodeRoaringBitmapArray(rows), numRecords })
  }

  get size(): number { return this.pending.length }

  async finish(): Promise<AddFile[]> {
    const onDisk = this.pending.filter((p) => p.bitmap.length > this.inlineMaxBytes)
    const descriptors = new Map<Pending, DeletionVectorDescriptor>()
    if (onDisk.length) {
      const uuid = globalThis.crypto.randomUUID()
      const prefix = randomPrefix()
      const { bytes, offsets } = encodeDeletionVectorFile(onDisk.map((p) => p.bitmap))
      onDisk.forEach((p, i) => {
        const d = uuidDescriptor(uuid, prefix, offsets[i], p.bitmap, p.rows.length)
        descriptors.set(p, { ...d, maxRowIndex: p.rows[p.rows.length - 1] })
      })
      const key = uuidDvRelativePath(descriptors.get(onDisk[0])!.pathOrInlineDv)
      try {
        await this.store.put(key, bytes, { durable: 'deferred' }) // flushed by the commit that names it
      } catch (e) {
        throw new StorageError(`cannot write deletion vector file ${key} of table ${this.table}: ${(e as Error).message}`, { table: this.table, file: key, cause: e })
      }
      this.bytesWritten += bytes.length
    }
    // the next DML on this table reads these DVs back: keep their rows (DV files never change)
    for (const p of onDisk) rememberDv(this.store, descriptors.get(p)!, p.rows)
    return this.pending.map((p) => ({
      ...p.add,
      modificationTime: this.now,
      dataChange: true,
      stats: wideStats(p.add.stats, p.numRecords),
      deletionVector: descriptors.get(p) ?? inlineDescriptor(p.rows),
    }))
  }
}

/** The file's stats with `tightBounds: false` (numRecords stays the physical row count, as required). */
export function wideStats(stats: string | null | undefined, numRecords: number): string {
  const minimal = `{"numRecords":${numRecords},"tightBounds":false}`
  if (!stats) return minimal
  try {
    const s = JSON.parse(stats) as Record<string, unknown>
    if (typeof s.numRecords !== 'number') return minimal
    if (s.tightBounds === false) return stats
    // Re-serialise by hand so big numbers in min/max are not rounded by JSON.parse.
    const body = stats.trim()
    if (/"tightBounds"\s*:\s*true/.test(body)) return body.replace(/"tightBounds"\s*:\s*true/, '"tightBounds":false')
    return body === '{}' ? '{"tightBounds":false}' : `${body.slice(0, -1)},"tightBounds":false}`
  } catch {
    return minimal
  }
}

// The rows of the DVs this process wrote, by store and descriptor: a stream of merges into one table
// reads each file's DV back without decoding it. Bounded by DV_CACHE.maxBytes, least recently used
// evicted first.
export const DV_CACHE = { maxBytes: 64 * 1024 * 1024 }
const dvCache = new Map<string, Float64Array>()
let dvCachedBytes = 0

function dvCacheKey(store: ObjectStore, d: DeletionVectorDescriptor): string {
  return `${storeId(store)}|${d.storageType}|${d.pathOrInlineDv}|${d.offset ?? ''}|${d.sizeInBytes}|${d.cardinality}`
}

function rememberDv(store: ObjectStore, d: DeletionVectorDescriptor, rows: ArrayLike<number>): void {
  // the union rows applyFile made are this writer's own (never changed after): kept as they are
  const copy = rows instanceof Float64Array && rows.byteOffset === 0 && rows.byteLength === rows.buffer.byteLength ? rows : Float64Array.from(rows)
  if (copy.byteLength > DV_CACHE.maxBytes || copy.length !== d.cardinality) return
  const key = dvCacheKey(store, d)
  dvCache.set(key, copy)
  dvCachedBytes += copy.byteLength
  for (const [k, v] of dvCache) {
    if (dvCachedBytes <= DV_CACHE.maxBytes) break
    dvCache.delete(k)
    dvCachedBytes -= v.byteLength
  }
}

/** The rows of a DV this process wrote, or undefined. */
export function cachedDvRows(store: ObjectStore, d: DeletionVectorDescriptor): Float64Array | undefined {
  const key = dvCacheKey(store, d)
  const hit = dvCache.get(key)
  if (hit) { dvCache.delete(key); dvCache.set(key, hit) } // most recently used last
  return hit
}

/** Drop every cached DV (tests, memory pressure). */
export function clearDvCache(): void {
  dvCache.clear()
  dvCachedBytes = 0
}
