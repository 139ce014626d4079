// A Parquet data file of top-level primitive columns, written entirely by our own code: pages by
// page-encoder.ts, the footer by footer.ts. Every table of flat columns writes through here without
// loading hyparquet-writer (issue 15: a fresh process merging one batch paid ~40 ms of CPU to load it);
// nested columns take parquet-write.ts (hyparquet-writer's Dremel encoder).
import { writeFooter } from './footer.js'
import { compressedCopy, encodeFlatChunk, placedChunk, writeFlatChunk, type ColumnChunk, type EncodedChunk, type FlatChunkOptions } from './page-encoder.js'
import type { PagePool } from './page-pool.js'
import { CREATED_BY, DEFAULT_ROW_GROUP_SIZE, fileSchema, isFlat, topLevelElements, type DataColumn, type ParquetWriteOptions } from './parquet-schema.js'
import { estimateRowBytes } from './partition.js'
import { ByteBuffer } from './thrift-compact.js'
import { EncodingFailedError } from '../errors.js'

/** Whether every column is flat (this writer's case). */
export function allFlat(columns: { field: { type: DataColumn['field']['type'] } }[]): boolean {
  return columns.every((c) => isFlat(c.field.type) || c.field.type === 'void')
}

type RowGroupMeta = { columns: ColumnChunk[]; total_byte_size: bigint; num_rows: bigint; total_compressed_size: bigint }

function prepare(columns: DataColumn[], numRows: number, options: ParquetWriteOptions) {
  const codec = options.codec ?? 'SNAPPY'
  const statistics = (options.statistics ?? 'numeric') !== 'none'
  const { written, schema } = fileSchema(columns, numRows, options.mode ?? 'none')
  if (!allFlat(written)) throw new Error('internal: writeFlatParquet got a nested column')
  const groupSize = Math.max(1, options.rowGroupSize ?? DEFAULT_ROW_GROUP_SIZE)
  const groups: Array<[number, number]> = []
  for (let start = 0; start < numRows; start += groupSize) groups.push([start, Math.min(numRows, start + groupSize)])
  // Room for about half the raw size (what Snappy typically leaves): a huge up-front buffer is
  // external memory that pushes V8 into full collections; too small a one is copied as it doubles.
  const raw = estimateRowBytes(new Map(written.map((c) => [c.field.name, c.values])), numRows) * numRows
  const initialSize = Math.min(256 << 20, Math.max(1 << 16, Math.ceil(raw / 2)))
  const chunkOptions = (c: DataColumn): FlatChunkOptions => ({ codec, statistics, column: c.field.name })
  return { written, schema, elements: topLevelElements(schema), groups, initialSize, chunkOptions }
}

function rowGroup(chunks: ColumnChunk[], start: number, end: number, groupStart: number, groupEnd: number): RowGroupMeta {
  let total = 0n
  for (const ch of chunks) total += ch.meta_data?.total_uncompressed_size ?? 0n
  return { columns: chunks, total_byte_size: total, num_rows: BigInt(end - start), total_compressed_size: BigInt(groupEnd - groupStart) }
}

/** Write flat `columns` (all of equal length) as one Parquet file and return its bytes. */
export function writeFlatParquet(columns: DataColumn[], numRows: number, options: ParquetWriteOptions = {}): Uint8Array {
  const { written, schema, elements, groups, initialSize, chunkOptions } = prepare(columns, numRows, options)
  const out = new ByteBuffer(initialSize)
  out.appendUint32(0x31524150) // PAR1
  const rowGroups: RowGroupMeta[] = []
  for (const [start, end] of groups) {
    const groupStart = out.offset
    const chunks = written.map((c, j) => writeFlatChunk(out, elements[j], c.values, start, end, chunkOptions(c)))
    rowGroups.push(rowGroup(chunks, start, end, groupStart, out.offset))
  }
  writeFooter(out, { schema, numRows: BigInt(numRows), rowGroups, kvMetadata: options.kvMetadata, createdBy: CREATED_BY })
  return out.getBytes()
}

/**
 * `writeFlatParquet` with the pages compressed and laid out on `pool`'s worker thread while this one
 * encodes the next: the encoding is done when this returns, the rest when the promise settles (so the
 * caller can compute the file's stats in between). The bytes are writeFlatParquet's; a worker that
 * fails or stops rejects the promise with an EncodingFailedError.
 */
export function writeFlatParquetOn(pool: PagePool, columns: DataColumn[], numRows: number, options: ParquetWriteOptions = {}): Promise<Uint8Array> {
  // Until the worker has loaded, files are written here (the same bytes).
  if (!pool.ready) return Promise.resolve(writeFlatParquet(columns, numRows, options))
  const { written, schema, elements, groups, initialSize, chunkOptions } = prepare(columns, numRows, options)
  const codec = options.codec ?? 'SNAPPY'
  const sink = pool.begin(codec, initialSize, (page) => compressedCopy(codec, page))
  let encoded: EncodedChunk[][]
  try {
    encoded = groups.map(([start, end]) => written.map((c, j) => encodeFlatChunk(elements[j], c.values, start, end, chunkOptions(c), (page, header) => sink.page(page, header))))
  } catch (e) {
    sink.abort()
    throw e
  }
  return sink.finish().then(({ bytes, length, sizes }) => {
    let at = 4 // PAR1
    let k = 0
    const rowGroups = encoded.map((chunks, g) => {
      const [start, end] = groups[g]
      const groupStart = at
      const metas = chunks.map((chunk, j) => {
        const placed = placedChunk(chunk, at, sizes, k, chunkOptions(written[j]))
        k += chunk.pages.length
        at = placed.end
        return placed.meta
      })
      return rowGroup(metas, start, end, groupStart, at)
    })
    if (at !== length) throw new Error(`internal: the worker laid out ${length} bytes of pages, the chunks say ${at}`)
    const out = ByteBuffer.over(bytes, length)
    writeFooter(out, { schema, numRows: BigInt(numRows), rowGroups, kvMetadata: options.kvMetadata, createdBy: CREATED_BY })
    return out.getBytes()
  }, (e: unknown) => {
    throw new EncodingFailedError(`cannot write a data file: compressing its pages on a worker thread failed: ${(e as Error).message}`, { cause: e })
  })
}
