// One top-level INT64/INT32 column of a Parquet file read straight into a typed array: PLAIN values
// (data page V1 or V2, no dictionary), uncompressed or snappy, every value present. Each page is
// decompressed into the array's own bytes (a required column's page is its values alone), so a
// 1M-row key column costs one allocation and no per-page arrays or concatenation: what MERGE's key
// read needs on a cold process (issue 15). Anything else (another codec or encoding, a dictionary,
// a null) gives undefined, and the caller reads the column with hyparquet's general decoder.
import type { FileMetaData } from 'hyparquet'
import { parquetHeader } from 'hyparquet/src/column.js'
import type { AsyncBufferLike } from '../storage/async-buffer.js'
import { snappyDecompressInto } from './snappy-decode.js'

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/** Raised for bytes that cannot be right (the caller names file and column). */
const corrupt = (what: string): Error => new Error(`column chunk: ${what}`)

/**
 * The column `name` of every row of the file, or undefined when some chunk or page is not plain.
 * `file` should be guarded (page-guard.ts): page headers are checked before they are trusted here.
 */
export async function readPlainIntColumn(file: AsyncBufferLike, metadata: FileMetaData, name: string, type: 'INT64' | 'INT32', optional: boolean): Promise<BigInt64Array | Int32Array | undefined> {
  if (!LITTLE_ENDIAN) return undefined
  const width = type === 'INT64' ? 8 : 4
  const chunks: { start: number; end: number; rows: number; compressed: boolean }[] = []
  let total = 0
  for (const rg of metadata.row_groups) {
    const rows = Number(rg.num_rows)
    if (rows === 0) continue
    const c = rg.columns.find((x) => x.meta_data?.path_in_schema.length === 1 && x.meta_data.path_in_schema[0] === name)
    const m = c?.meta_data
    if (!m || c.file_path || m.type !== type || Number(m.num_values) !== rows) return undefined
    if (m.codec !== 'SNAPPY' && m.codec !== 'UNCOMPRESSED') return undefined
    const start = Number(m.dictionary_page_offset || m.data_page_offset)
    const end = start + Number(m.total_compressed_size)
    if (!(start >= 0 && end > start && end <= file.byteLength)) throw corrupt(`${name} spans bytes ${start}–${end} of a ${file.byteLength}-byte file`)
    chunks.push({ start, end, rows, compressed: m.codec === 'SNAPPY' })
    total += rows
  }
  if (total !== Number(metadata.num_rows)) return undefined
  const out = type === 'INT64' ? new BigInt64Array(total) : new Int32Array(total)
  const bytes = new Uint8Array(out.buffer)
  const fetched = await Promise.all(chunks.map((c) => file.slice(c.start, c.end)))
  let scratch: Uint8Array | undefined
  let row = 0
  for (let k = 0; k < chunks.length; k++) {
    const chunk = chunks[k]
    const buf = fetched[k]
    if (buf.byteLength !== chunk.end - chunk.start) throw corrupt(`${name} is cut short (${buf.byteLength} of ${chunk.end - chunk.start} bytes)`)
    const reader = { view: new DataView(buf), offset: 0 }
    const stop = row + chunk.rows
    while (row < stop) {
      if (reader.offset >= buf.byteLength) throw corrupt(`${name} ends after ${row - (stop - chunk.rows)} of ${chunk.rows} values`)
      const h = parquetHeader(reader)
      const at = reader.offset
      const size = h.compressed_page_size
      if (!(size >= 0 && at + size <= buf.byteLength)) throw corrupt(`${name} has a page of ${size} bytes past its end`)
      reader.offset += size
      const page = new Uint8Array(buf, at, size)
      if (h.type === 'INDEX_PAGE') continue
      if (h.type === 'DATA_PAGE') {
        const d = h.data_page_header!
        if (d.encoding !== 'PLAIN') return undefined
        const n = d.num_values
        if (!(n >= 0 && row + n <= stop)) throw corrupt(`${name} has a page of ${n} values past the chunk's ${chunk.rows}`)
        const raw = h.uncompressed_page_size
        if (!optional) {
          // a required column's page is exactly its values
          if (raw !== n * width) throw corrupt(`${name} has a page of ${n} values in ${raw} bytes`)
          const dst = bytes.subarray(row * width, (row + n) * width)
          if (chunk.compressed) snappyDecompressInto(page, dst)
          else if (size !== raw) throw corrupt(`${name} has an uncompressed page of ${size} bytes, ${raw} stated`)
          else dst.set(page)
        } else {
          // 4-byte length, definition levels (bit width 1), then the present values
          let body: Uint8Array = page
          if (chunk.compressed) {
            if (!scratch || scratch.length < raw) scratch = new Uint8Array(raw)
            body = scratch.subarray(0, raw)
            snappyDecompressInto(page, body)
          } else if (size !== raw) throw corrupt(`${name} has an uncompressed page of ${size} bytes, ${raw} stated`)
          if (body.length < 4) throw corrupt(`${name} has a page too short for its levels`)
          const levels = body[0] | (body[1] << 8) | (body[2] << 16) | (body[3] << 24)
          if (levels < 0 || 4 + levels > body.length) throw corrupt(`${name} has levels past its page`)
          if (!allPresent(body, 4, 4 + levels, n)) return undefined
          if (body.length - 4 - levels !== n * width) throw corrupt(`${name} has a page of ${n} values in ${body.length - 4 - levels} bytes`)
          bytes.set(body.subarray(4 + levels), row * width)
        }
        row += n
        continue
      }
      if (h.type === 'DATA_PAGE_V2') {
        const d = h.data_page_header_v2!
        if (d.encoding !== 'PLAIN' || d.num_nulls !== 0 || d.repetition_levels_byte_length !== 0) return undefined
        const n = d.num_rows
        if (!(n >= 0 && d.num_values === n && row + n <= stop)) throw corrupt(`${name} has a page of ${n} values past the chunk's ${chunk.rows}`)
        const skip = d.definition_levels_byte_length
        if (!(skip >= 0 && skip <= size)) throw corrupt(`${name} has levels past its page`)
        const raw = h.uncompressed_page_size - skip
        if (raw !== n * width) throw corrupt(`${name} has a page of ${n} values in ${raw} bytes`)
        const dst = bytes.subarray(row * width, (row + n) * width)
        const values = page.subarray(skip)
        if (chunk.compressed && d.is_compressed !== false) snappyDecompressInto(values, dst)
        else if (values.length !== raw) throw corrupt(`${name} has an uncompressed page of ${values.length} bytes, ${raw} stated`)
        else dst.set(values)
        row += n
        continue
      }
      return undefined // a dictionary page (or an unknown page type)
    }
  }
  return out
}

/** Whether the first `n` RLE/bit-packed definition levels (bit width 1) in bytes [p, end) are all 1. */
function allPresent(b: Uint8Array, p: number, end: number, n: number): boolean {
  let seen = 0
  while (seen < n) {
    let header = 0
    for (let shift = 0; ; shift += 7) {
      if (p >= end || shift > 28) return false
      const c = b[p++]
      header += (c & 0x7f) * 2 ** shift
      if (c < 0x80) break
    }
    if (header % 2 === 0) {
      // an RLE run: count, then the value in one byte
      const count = header / 2
      if (count === 0) continue
      if (p >= end || b[p++] !== 1) return false
      seen += count
    } else {
      // bit-packed groups of 8 values, one byte each at bit width 1
      const groups = (header - 1) / 2
      if (p + groups > end) return false
      for (let g = 0; g < groups && seen < n; g++) {
        const want = Math.min(8, n - seen)
        const mask = want === 8 ? 0xff : (1 << want) - 1
        if ((b[p + g] & mask) !== mask) return false
        seen += want
      }
      p += groups
    }
  }
  return true
}
