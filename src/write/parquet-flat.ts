// A Parquet data file of top-level primitive columns, written entirely by our own code: pages by
// page-encoder.ts, the footer by footer.ts. Every table of flat columns writes through here without
// loading hyparquet-writer (issue 15: a fresh process merging one batch paid ~40 ms of CPU to load it);
// nested columns take parquet-write.ts (hyparquet-writer's Dremel encoder).
import { writeFooter } from './footer.js'
import { writeFlatChunk, type ColumnChunk } from './page-encoder.js'
import { CREATED_BY, DEFAULT_ROW_GROUP_SIZE, fileSchema, isFlat, topLevelElements, type DataColumn, type ParquetWriteOptions } from './parquet-schema.js'
import { estimateRowBytes } from './partition.js'
import { ByteBuffer } from './thrift-compact.js'

/** Whether every column is flat (this writer's case). */
export function allFlat(columns: { field: { type: DataColumn['field']['type'] } }[]): boolean {
  return columns.every((c) => isFlat(c.field.type) || c.field.type === 'void')
}

/** Write flat `columns` (all of equal length) as one Parquet file and return its bytes. */
export function writeFlatParquet(columns: DataColumn[], numRows: number, options: ParquetWriteOptions = {}): Uint8Array {
  const codec = options.codec ?? 'SNAPPY'
  const statistics = (options.statistics ?? 'numeric') !== 'none'
  const { written, schema } = fileSchema(columns, numRows, options.mode ?? 'none')
  if (!allFlat(written)) throw new Error('internal: writeFlatParquet got a nested column')
  const groupSize = Math.max(1, options.rowGroupSize ?? DEFAULT_ROW_GROUP_SIZE)
  // Room for about half the raw size (what Snappy typically leaves): a huge up-front buffer is
  // external memory that pushes V8 into full collections; too small a one is copied as it doubles.
  const raw = estimateRowBytes(new Map(written.map((c) => [c.field.name, c.values])), numRows) * numRows
  const out = new ByteBuffer(Math.min(256 << 20, Math.max(1 << 16, Math.ceil(raw / 2))))
  out.appendUint32(0x31524150) // PAR1
  const elements = topLevelElements(schema)
  const rowGroups: { columns: ColumnChunk[]; total_byte_size: bigint; num_rows: bigint; total_compressed_size: bigint }[] = []
  for (let start = 0; start < numRows; start += groupSize) {
    const end = Math.min(numRows, start + groupSize)
    const groupStart = out.offset
    const chunks = written.map((c, j) => writeFlatChunk(out, elements[j], c.values, start, end, { codec, statistics, column: c.field.name }))
    let total = 0n
    for (const ch of chunks) total += ch.meta_data?.total_uncompressed_size ?? 0n
    rowGroups.push({ columns: chunks, total_byte_size: total, num_rows: BigInt(end - start), total_compressed_size: BigInt(out.offset - groupStart) })
  }
  writeFooter(out, { schema, numRows: BigInt(numRows), rowGroups, kvMetadata: options.kvMetadata, createdBy: CREATED_BY })
  return out.getBytes()
}
