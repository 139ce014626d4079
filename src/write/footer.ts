// Parquet page headers and the file footer (FileMetaData) in Thrift compact protocol, for the files
// our flat-column writer makes (parquet-flat.ts): field ids from parquet.thrift. Statistics here are
// physical values (numbers, bigints, booleans) of non-byte-array columns, as page-encoder.ts keeps them.
import type { ParquetWriter } from 'hyparquet-writer'
import { T, type ByteBuffer } from './thrift-compact.js'

type SchemaElement = ParquetWriter['schema'][number]
type RowGroup = ParquetWriter['row_groups'][number]
type ColumnChunk = RowGroup['columns'][number]
type LogicalType = NonNullable<SchemaElement['logical_type']>
type Stat = number | bigint | boolean

// Enum orders of parquet.thrift.
const TYPES = ['BOOLEAN', 'INT32', 'INT64', 'INT96', 'FLOAT', 'DOUBLE', 'BYTE_ARRAY', 'FIXED_LEN_BYTE_ARRAY']
const REPETITIONS = ['REQUIRED', 'OPTIONAL', 'REPEATED']
const CONVERTED = ['UTF8', 'MAP', 'MAP_KEY_VALUE', 'LIST', 'ENUM', 'DECIMAL', 'DATE', 'TIME_MILLIS', 'TIME_MICROS',
  'TIMESTAMP_MILLIS', 'TIMESTAMP_MICROS', 'UINT_8', 'UINT_16', 'UINT_32', 'UINT_64', 'INT_8', 'INT_16', 'INT_32',
  'INT_64', 'JSON', 'BSON', 'INTERVAL']
const ENCODINGS = ['PLAIN', 'GROUP_VAR_INT', 'PLAIN_DICTIONARY', 'RLE', 'BIT_PACKED', 'DELTA_BINARY_PACKED',
  'DELTA_LENGTH_BYTE_ARRAY', 'DELTA_BYTE_ARRAY', 'RLE_DICTIONARY', 'BYTE_STREAM_SPLIT']
const CODECS = ['UNCOMPRESSED', 'SNAPPY', 'GZIP', 'LZO', 'BROTLI', 'LZ4', 'ZSTD', 'LZ4_RAW']
const PAGE_TYPES = ['DATA_PAGE', 'INDEX_PAGE', 'DICTIONARY_PAGE', 'DATA_PAGE_V2']

function index(list: string[], name: string | undefined, what: string): number | undefined {
  if (name === undefined) return undefined
  const i = list.indexOf(name)
  if (i < 0) throw new Error(`internal: no Parquet ${what} ${name}`)
  return i
}

/** A data page (v1) or dictionary page header, sizes filled in. */
export interface PageHeader {
  type: 'DATA_PAGE' | 'DICTIONARY_PAGE'
  uncompressed_page_size: number
  compressed_page_size: number
  data_page_header?: { num_values: number; encoding: string; definition_level_encoding: string; repetition_level_encoding: string }
  dictionary_page_header?: { num_values: number; encoding: string }
}

export function writePageHeader(out: ByteBuffer, h: PageHeader): void {
  out.beginElement()
  out.i32(1, index(PAGE_TYPES, h.type, 'page type'))
  out.i32(2, h.uncompressed_page_size)
  out.i32(3, h.compressed_page_size)
  if (h.data_page_header) {
    const d = h.data_page_header
    out.struct(5)
    out.i32(1, d.num_values)
    out.i32(2, index(ENCODINGS, d.encoding, 'encoding'))
    out.i32(3, index(ENCODINGS, d.definition_level_encoding, 'encoding'))
    out.i32(4, index(ENCODINGS, d.repetition_level_encoding, 'encoding'))
    out.end()
  }
  if (h.dictionary_page_header) {
    out.struct(7)
    out.i32(1, h.dictionary_page_header.num_values)
    out.i32(2, index(ENCODINGS, h.dictionary_page_header.encoding, 'encoding'))
    out.end()
  }
  out.end()
}

export interface Footer {
  schema: SchemaElement[]
  numRows: bigint
  rowGroups: RowGroup[]
  kvMetadata?: Array<{ key: string; value: string }>
  createdBy: string
}

/** FileMetaData, its length and the closing magic: the end of a Parquet file. */
export function writeFooter(out: ByteBuffer, f: Footer): void {
  const start = out.offset
  out.beginElement()
  out.i32(1, 2) // version
  out.list(2, T.STRUCT, f.schema.length)
  for (const e of f.schema) writeSchemaElement(out, e)
  out.i64(3, f.numRows)
  // a flat file: the root's children are the leaves, one column chunk each, in order
  const leaves = f.schema.slice(1)
  if (leaves.some((e) => e.num_children)) throw new Error('internal: writeFooter got a nested schema')
  out.list(4, T.STRUCT, f.rowGroups.length)
  for (const rg of f.rowGroups) {
    out.beginElement()
    out.list(1, T.STRUCT, rg.columns.length)
    rg.columns.forEach((c, j) => writeColumnChunk(out, c, leaves[j]))
    out.i64(2, rg.total_byte_size)
    out.i64(3, rg.num_rows)
    out.i64(6, rg.total_compressed_size)
    out.end()
  }
  if (f.kvMetadata) {
    out.list(5, T.STRUCT, f.kvMetadata.length)
    for (const kv of f.kvMetadata) writeKeyValue(out, kv)
  }
  out.binary(6, f.createdBy)
  // column_orders: TYPE_ORDER for every leaf
  out.list(7, T.STRUCT, leaves.length)
  for (let i = 0; i < leaves.length; i++) { out.beginElement(); out.struct(1); out.end(); out.end() }
  out.end()
  out.appendUint32(out.offset - start)
  out.appendUint32(0x31524150) // PAR1
}

function writeKeyValue(out: ByteBuffer, kv: { key: string; value?: string }): void {
  out.beginElement()
  out.binary(1, kv.key)
  out.binary(2, kv.value)
  out.end()
}

function writeSchemaElement(out: ByteBuffer, e: SchemaElement): void {
  out.beginElement()
  out.i32(1, index(TYPES, e.type, 'type'))
  out.i32(2, e.type_length)
  out.i32(3, index(REPETITIONS, e.repetition_type, 'repetition'))
  out.binary(4, e.name)
  out.i32(5, e.num_children)
  out.i32(6, index(CONVERTED, e.converted_type, 'converted type'))
  out.i32(7, e.scale)
  out.i32(8, e.precision)
  out.i32(9, e.field_id)
  if (e.logical_type) { out.struct(10); writeLogicalType(out, e.logical_type); out.end() }
  out.end()
}

/** LogicalType is a union: one field set, holding a struct; only the kinds flat columns get here. */
function writeLogicalType(out: ByteBuffer, t: LogicalType): void {
  switch (t.type) {
    case 'STRING': out.struct(1); out.end(); return
    case 'DECIMAL': out.struct(5); out.i32(1, t.scale); out.i32(2, t.precision); out.end(); return
    case 'DATE': out.struct(6); out.end(); return
    case 'TIMESTAMP':
      out.struct(8)
      out.bool(1, t.isAdjustedToUTC)
      out.struct(2) // TimeUnit, a union of empty structs
      out.struct(t.unit === 'MILLIS' ? 1 : t.unit === 'MICROS' ? 2 : 3); out.end()
      out.end()
      out.end()
      return
    default: throw new Error(`internal: logical type ${t.type} is not written by the flat writer`)
  }
}

function writeColumnChunk(out: ByteBuffer, c: ColumnChunk, element: SchemaElement): void {
  out.beginElement()
  out.i64(2, c.file_offset)
  const m = c.meta_data
  if (m) {
    out.struct(3)
    out.i32(1, index(TYPES, m.type, 'type'))
    out.list(2, T.I32, m.encodings.length)
    for (const e of m.encodings) out.i32Value(index(ENCODINGS, e, 'encoding')!)
    out.list(3, T.BINARY, m.path_in_schema.length)
    for (const p of m.path_in_schema) out.binaryValue(p)
    out.i32(4, index(CODECS, m.codec, 'codec'))
    out.i64(5, m.num_values)
    out.i64(6, m.total_uncompressed_size)
    out.i64(7, m.total_compressed_size)
    out.i64(9, m.data_page_offset)
    out.i64(11, m.dictionary_page_offset)
    if (m.statistics) {
      const s = m.statistics as { min_value?: Stat; max_value?: Stat; null_count?: bigint }
      out.struct(12)
      out.i64(3, s.null_count)
      out.binary(5, statBytes(s.max_value, element))
      out.binary(6, statBytes(s.min_value, element))
      out.end()
    }
    if (m.encoding_stats) {
      out.list(13, T.STRUCT, m.encoding_stats.length)
      for (const es of m.encoding_stats) {
        out.beginElement()
        out.i32(1, index(PAGE_TYPES, es.page_type, 'page type'))
        out.i32(2, index(ENCODINGS, es.encoding, 'encoding'))
        out.i32(3, es.count)
        out.end()
      }
    }
    out.end()
  }
  out.end()
}

/** A min/max in Parquet's plain encoding of the column's physical type (little-endian). */
function statBytes(v: Stat | undefined, e: SchemaElement): Uint8Array | undefined {
  if (v === undefined || v === null) return undefined
  const b = new Uint8Array(e.type === 'INT64' || e.type === 'DOUBLE' ? 8 : e.type === 'BOOLEAN' ? 1 : 4)
  const view = new DataView(b.buffer)
  switch (e.type) {
    case 'BOOLEAN': b[0] = v ? 1 : 0; break
    case 'INT32': view.setInt32(0, Number(v), true); break
    case 'INT64': view.setBigInt64(0, BigInt(v), true); break
    case 'FLOAT': view.setFloat32(0, Number(v), true); break
    case 'DOUBLE': view.setFloat64(0, Number(v), true); break
    default: throw new Error(`internal: no footer statistics for ${e.type} column ${e.name}`)
  }
  return b
}
