// Adapts an object in an ObjectStore to the `{ byteLength, slice }` shape hyparquet reads from, so
// Parquet footers and column chunks are fetched with ranged reads instead of whole-file GETs.
import type { ObjectStore } from './object-store.js'

/** The `{ byteLength, slice }` shape hyparquet reads Parquet from: ranged reads of one object. */
export interface AsyncBufferLike {
  byteLength: number
  slice(start: number, end?: number): Promise<ArrayBuffer>
}

/**
 * `size` avoids a `head` when the log already states the file size.
 * @example
 * const buf = await asyncBufferFor(store, 'part-00000.snappy.parquet')
 * const footer = new Uint8Array(await buf.slice(buf.byteLength - 8)) // footer length + 'PAR1'
 */
export async function asyncBufferFor(store: ObjectStore, key: string, size?: number): Promise<AsyncBufferLike> {
  let byteLength = size
  if (byteLength === undefined) {
    const meta = await store.head(key)
    if (!meta) {
      await store.get(key) // raises the store's MissingFileError with its message
      throw new Error('unreachable')
    }
    byteLength = meta.size
  }
  const length = byteLength
  return {
    byteLength: length,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const bytes = await store.getRange(key, start, end ?? length)
      return toArrayBuffer(bytes)
    },
  }
}

/**
 * Whole bytes already in memory as an AsyncBuffer (checkpoints read in one GET, tests).
 * @example
 * import { parquetMetadataAsync } from 'hyparquet'
 * const buf = asyncBufferFromBytes(await store.get('_delta_log/00000000000000000010.checkpoint.parquet'))
 * const { num_rows } = await parquetMetadataAsync(buf)
 */
export function asyncBufferFromBytes(bytes: Uint8Array): AsyncBufferLike {
  const ab = toArrayBuffer(bytes)
  return { byteLength: ab.byteLength, slice: async (s, e) => ab.slice(s, e) }
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) {
    return bytes.buffer
  }
  // Uint8Array's own slice: Node's Buffer#slice would return a view of the whole pooled buffer.
  return Uint8Array.prototype.slice.call(bytes).buffer as ArrayBuffer
}
