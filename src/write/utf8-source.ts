// The UTF-8 bytes a string column was decoded from (an Arrow Utf8 vector), kept beside the decoded
// strings so the Parquet page encoder copies them instead of encoding every string again, and, for a
// repetitive column, the dictionary ids the conversion found, so the encoder and the file stats need
// no hash lookup per row. A side table keyed by the column array: the array itself stays the plain
// `ColumnValues` every other step reads. Input batches' column arrays are never changed in place
// (steps that change values make new arrays), which is what makes the side table safe to trust;
// the dictionary is still checked row by row against the array where it is used (one comparison).
import type { DeltaValue } from '../schema/values.js'

export interface Utf8Source {
  /**
   * Row i of the column (a string) is exactly the UTF-8 `bytes[offsets[i] .. offsets[i + 1])`: only
   * recorded when every value is valid UTF-8, where decoding and encoding again give these bytes.
   * Offsets of null rows mean nothing.
   */
  bytes: Uint8Array
  offsets: Int32Array
  /** A repetitive column: `ids[i]` is row i's entry (-1: null) and `entries[ids[i]] === column[i]`. */
  dictionary?: { ids: Int32Array; entries: string[] }
}

const sources = new WeakMap<object, Utf8Source>()

/** Record where `column`'s strings came from (see Utf8Source). */
export function setUtf8Source(column: ArrayLike<DeltaValue>, source: Utf8Source): void {
  sources.set(column, source)
}

/** The source of `column`, if its strings were decoded from UTF-8 bytes we kept. */
export function utf8SourceOf(column: ArrayLike<DeltaValue>): Utf8Source | undefined {
  const s = sources.get(column)
  return s && s.offsets.length === column.length + 1 ? s : undefined
}

/** The source of rows [start, end) of `column`, for a contiguous slice of it (no dictionary: its entries may not all occur there). */
export function sliceUtf8Source(column: ArrayLike<DeltaValue>, slice: ArrayLike<DeltaValue>, start: number, end: number): void {
  const s = utf8SourceOf(column)
  if (s) sources.set(slice, { bytes: s.bytes, offsets: s.offsets.subarray(start, end + 1) })
}
