// Deletion vectors (PROTOCOL.md "Deletion Vectors"): where a descriptor's bitmap lives (`u` UUID path
// with random prefix, `p` absolute path, `i` inline), reading it with its size and CRC-32 checked,
// and the write side (file framing, descriptors). The bitmap codec is in roaring.ts.
import { CorruptDataError, DeltaError, MissingFileError, type ErrorContext } from '../errors.js'
import type { DeletionVectorDescriptor } from '../log/actions.js'
import type { ObjectStore } from '../storage/object-store.js'
import { crc32, decodeRoaringBitmapArray, encodeRoaringBitmapArray } from './roaring.js'
import { uuidFromZ85, uuidToZ85, z85Decode, z85Encode } from './z85.js'

/** What locating a DV needs from a snapshot (a Snapshot satisfies it). */
export interface DvLocation {
  store: ObjectStore
  /** Store key for a path written in the log (relative or absolute), refusing paths outside the table. */
  resolvePath(logPath: string): string
}

/** Names used in error messages. */
export interface DvErrorContext { table?: string; version?: number; file?: string }

/** The deleted row indexes of one data file, ascending. */
export class DeletionVector {
  constructor(readonly rows: Float64Array) {}
  get cardinality(): number { return this.rows.length }

  /** A keep-mask over `numRows` rows: 1 = row survives (a selection vector). */
  selectionVector(numRows: number): Uint8Array {
    const keep = new Uint8Array(numRows).fill(1)
    for (const r of this.rows) if (r < numRows) keep[r] = 0
    return keep
  }

  /** Whether row `index` is deleted (binary search). */
  has(index: number): boolean {
    let lo = 0
    let hi = this.rows.length - 1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      const v = this.rows[mid]
      if (v === index) return true
      if (v < index) lo = mid + 1
      else hi = mid - 1
    }
    return false
  }
}

/** Relative path (from the table root) of a `u` DV: `<prefix>/deletion_vector_<uuid>.bin`. */
export function uuidDvRelativePath(pathOrInlineDv: string): string {
  if (pathOrInlineDv.length < 20) throw new CorruptDataError(`deletion vector path ${JSON.stringify(pathOrInlineDv)} is shorter than a Z85 UUID`)
  const prefix = pathOrInlineDv.slice(0, -20)
  const name = `deletion_vector_${uuidFromZ85(pathOrInlineDv.slice(-20))}.bin`
  return prefix ? `${prefix}/${name}` : name
}

/** Store key of an on-disk DV; undefined for inline ones. */
export function dvStoreKey(dv: DeletionVectorDescriptor, loc: DvLocation): string | undefined {
  if (dv.storageType === 'i') return undefined
  if (dv.storageType === 'u') return loc.resolvePath(uuidDvRelativePath(dv.pathOrInlineDv))
  if (dv.storageType === 'p') return loc.resolvePath(dv.pathOrInlineDv)
  throw new CorruptDataError(`unknown deletion vector storage type ${JSON.stringify(dv.storageType)}`)
}

/** Read and verify the DV of a file. `ctx.file` names the data file in errors. */
export async function readDeletionVector(dv: DeletionVectorDescriptor, loc: DvLocation, ctx: DvErrorContext = {}): Promise<DeletionVector> {
  const cardinality = dv.cardinality
  if (!Number.isSafeInteger(cardinality) || cardinality < 0) {
    throw new CorruptDataError(`deletion vector of ${ctx.file ?? 'a file'} has invalid cardinality ${cardinality}`, ctx)
  }
  if (dv.storageType === 'i') {
    let bytes: Uint8Array
    try {
      bytes = z85Decode(dv.pathOrInlineDv, dv.sizeInBytes)
    } catch (e) {
      throw new CorruptDataError(`inline deletion vector of ${ctx.file ?? 'a file'} is not valid Z85: ${(e as Error).message}`, { ...ctx, cause: e })
    }
    return checked(decodeRoaringBitmapArray(bytes, cardinality, { ...ctx }), cardinality, ctx, 'inline')
  }
  let key: string
  try {
    key = dvStoreKey(dv, loc) as string
  } catch (e) {
    // The path codecs (Z85, UUID) know no table: name it here.
    if (e instanceof DeltaError && e.table === undefined && ctx.table !== undefined) {
      const Cls = e.constructor as new (m: string, c: ErrorContext) => DeltaError
      throw new Cls(`deletion vector of ${ctx.file ?? 'a file'}: ${e.message}`, { ...ctx, cause: e })
    }
    throw e
  }
  const where = { ...ctx, file: ctx.file ? `${ctx.file} (deletion vector ${key})` : key }
  const offset = dv.offset ?? 0
  const size = dv.sizeInBytes
  if (!Number.isSafeInteger(size) || size < 12 || !Number.isSafeInteger(offset) || offset < 0) {
    throw new CorruptDataError(`deletion vector ${key} has invalid offset ${offset} or size ${size}`, where)
  }
  const framed = await getDvBytes(loc, key, dv, offset, size + 8, where)
  if (framed.length < size + 8) {
    throw new CorruptDataError(`deletion vector ${key} is truncated: ${framed.length} bytes at offset ${offset}, expected ${size + 8}`, where)
  }
  const view = new DataView(framed.buffer, framed.byteOffset, framed.byteLength)
  const stated = view.getInt32(0, false)
  if (stated !== size) {
    throw new CorruptDataError(`deletion vector ${key} at offset ${offset} states size ${stated}, the log says ${size}`, where)
  }
  const data = framed.subarray(4, 4 + size)
  const expected = view.getUint32(4 + size, false)
  const actual = crc32(data)
  if (actual !== expected) {
    throw new CorruptDataError(`deletion vector ${key} at offset ${offset} fails its CRC-32 checksum (stored ${expected}, computed ${actual})`, where)
  }
  return checked(decodeRoaringBitmapArray(data, cardinality, where), cardinality, where, key)
}

/**
 * Bytes [offset, offset+length) of the DV file. Some Spark test tables name DV files with an extra
 * prefix before `deletion_vector_<uuid>.bin`; when the canonical name is absent, a single file in the
 * same folder ending with that name is used.
 */
async function getDvBytes(loc: DvLocation, key: string, dv: DeletionVectorDescriptor, offset: number, length: number, ctx: ErrorContext): Promise<Uint8Array> {
  try {
    return await loc.store.getRange(key, offset, offset + length)
  } catch (e) {
    if (!(e instanceof MissingFileError) || dv.storageType !== 'u') {
      if (e instanceof MissingFileError) throw new MissingFileError(`deletion vector file ${key} is missing`, { ...ctx, cause: e })
      throw e
    }
    const slash = key.lastIndexOf('/')
    const dir = slash < 0 ? '' : key.slice(0, slash + 1)
    const name = key.slice(slash + 1)
    const matches: string[] = []
    for await (const meta of loc.store.list(dir, { recursive: false })) {
      const base = meta.key.slice(meta.key.lastIndexOf('/') + 1)
      if (base.endsWith(name) && meta.key.slice(0, meta.key.length - base.length) === dir) matches.push(meta.key)
    }
    if (matches.length !== 1) throw new MissingFileError(`deletion vector file ${key} is missing`, { ...ctx, cause: e })
    return loc.store.getRange(matches[0], offset, offset + length)
  }
}

function checked(rows: Float64Array, cardinality: number, ctx: ErrorContext, where: string): DeletionVector {
  if (rows.length !== cardinality) {
    throw new CorruptDataError(`deletion vector ${where} holds ${rows.length} rows, the log says cardinality ${cardinality}`, ctx)
  }
  return new DeletionVector(rows)
}

// ---- write path ----

/** Version byte that opens every DV file (PROTOCOL.md "Deletion Vector File Storage Format"). */
export const DV_FILE_VERSION = 1

/** A DV file holding `bitmaps` (each from encodeRoaringBitmapArray), with each one's offset. */
export function encodeDeletionVectorFile(bitmaps: Uint8Array[]): { bytes: Uint8Array; offsets: number[] } {
  const total = 1 + bitmaps.reduce((s, b) => s + b.length + 8, 0)
  const bytes = new Uint8Array(total)
  const view = new DataView(bytes.buffer)
  bytes[0] = DV_FILE_VERSION
  const offsets: number[] = []
  let o = 1
  for (const b of bitmaps) {
    offsets.push(o)
    view.setInt32(o, b.length, false)
    bytes.set(b, o + 4)
    view.setUint32(o + 4 + b.length, crc32(b), false)
    o += b.length + 8
  }
  return { bytes, offsets }
}

/** Descriptor of a DV stored inline in the log. */
export function inlineDescriptor(rows: ArrayLike<number>): DeletionVectorDescriptor {
  const bitmap = encodeRoaringBitmapArray(rows)
  return {
    storageType: 'i',
    pathOrInlineDv: z85Encode(bitmap),
    sizeInBytes: bitmap.length,
    cardinality: rows.length,
    ...(rows.length ? { maxRowIndex: rows[rows.length - 1] } : {}),
  }
}

/** Descriptor of a DV in `<prefix>/deletion_vector_<uuid>.bin` at `offset` (from encodeDeletionVectorFile). */
export function uuidDescriptor(uuid: string, prefix: string, offset: number, bitmap: Uint8Array, cardinality: number): DeletionVectorDescriptor {
  return { storageType: 'u', pathOrInlineDv: `${prefix}${uuidToZ85(uuid)}`, offset, sizeInBytes: bitmap.length, cardinality }
}

export { encodeRoaringBitmapArray, decodeRoaringBitmapArray, crc32 } from './roaring.js'
export { z85Encode, z85Decode, uuidFromZ85, uuidToZ85 } from './z85.js'
