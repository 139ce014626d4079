// A guard in front of hyparquet's page decoders: hyparquet trusts page header counts (a V2 page whose
// `num_values` is absurd makes its level decoder loop for minutes), so every column chunk fetched is
// walked page header by page header first, and counts or sizes that cannot fit the chunk are refused.
import type { FileMetaData } from 'hyparquet'
import { parquetHeader } from 'hyparquet/src/column.js'
import type { AsyncBufferLike } from '../storage/async-buffer.js'

interface Chunk { start: number; end: number; values: number; path: string }

const isCount = (n: unknown, max: number): boolean => Number.isSafeInteger(n) && (n as number) >= 0 && (n as number) <= max

/** Throw (a plain Error, for the caller to wrap) when a page header of the chunk cannot be right. */
function checkChunk(bytes: Uint8Array, c: Chunk): void {
  const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 }
  while (reader.offset < bytes.length) {
    const h = parquetHeader(reader)
    const size = h.compressed_page_size
    const bad = (what: string) => new Error(`column chunk ${c.path}: page at offset ${c.start + reader.offset} has ${what}`)
    if (!isCount(size, bytes.length - reader.offset)) throw bad(`invalid size ${size}`)
    const v1 = h.data_page_header
    if (v1 && !isCount(v1.num_values, c.values)) throw bad(`${v1.num_values} values in a chunk of ${c.values}`)
    const v2 = h.data_page_header_v2
    if (v2) {
      if (!isCount(v2.num_values, c.values) || !isCount(v2.num_nulls, v2.num_values) || !isCount(v2.num_rows, v2.num_values)) {
        throw bad(`${v2.num_values} values, ${v2.num_nulls} nulls, ${v2.num_rows} rows in a chunk of ${c.values}`)
      }
      if (!isCount(v2.definition_levels_byte_length, size) || !isCount(v2.repetition_levels_byte_length, size - v2.definition_levels_byte_length)) {
        throw bad('level lengths beyond the page')
      }
    }
    reader.offset += size
  }
}

/**
 * `file` with every whole column chunk it serves checked first (once per chunk). Ranges that hold
 * only part of a chunk (page-level reads) pass unchecked.
 */
export function guardPages(file: AsyncBufferLike, metadata: FileMetaData): AsyncBufferLike {
  const chunks: Chunk[] = []
  for (const rg of metadata.row_groups) {
    for (const col of rg.columns) {
      const m = col.meta_data
      if (!m) continue
      const start = Number(m.dictionary_page_offset || m.data_page_offset)
      chunks.push({ start, end: start + Number(m.total_compressed_size), values: Number(m.num_values), path: m.path_in_schema.join('.') })
    }
  }
  const checked = new Set<Chunk>()
  return {
    byteLength: file.byteLength,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const buf = await file.slice(start, end)
      const stop = start + buf.byteLength
      for (const c of chunks) {
        if (checked.has(c) || c.start < start || c.end > stop || c.end <= c.start) continue
        checkChunk(new Uint8Array(buf, c.start - start, c.end - c.start), c)
        checked.add(c)
      }
      return buf
    },
  }
}
