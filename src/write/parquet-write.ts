// Delta value columns → one Parquet data file, with hyparquet-writer. Maps each Delta type to the
// Parquet types Spark writes (INT64 TIMESTAMP(MICROS), DATE, DECIMAL as INT32/INT64/FIXED by
// precision, 3-level LIST, MAP key_value), physical names and field ids under column mapping.
import { ByteWriter, ParquetWriter } from 'hyparquet-writer'
import { compressPage, type ParquetCodec } from './codec.js'
import { writeFlatChunk } from './page-encoder.js'
import { estimateRowBytes } from './partition.js'
import { writeUtf8 } from '../schema/utf8.js'
import { LAGOMAGO_VERSION } from '../txn/engine.js'
import { InvalidArgumentError, SchemaMismatchError, UnsupportedFeatureError } from '../errors.js'
import type { DeltaValue } from '../schema/values.js'
import {
  decimalParams, fieldId, isArray, isMap, isStruct, physicalName,
  type ColumnMappingMode, type DataType, type StructField,
} from '../schema/types.js'

/** hyparquet-writer bundles its own hyparquet, so its SchemaElement type is taken from its API. */
export type SchemaElement = ConstructorParameters<typeof ParquetWriter>[0]['schema'][number]

/** A column of values in the internal value model; typed arrays are allowed when there is no null. */
export type ColumnValues = ArrayLike<DeltaValue>

export interface DataColumn {
  field: StructField
  values: ColumnValues
}


export interface ParquetWriteOptions {
  mode?: ColumnMappingMode
  codec?: ParquetCodec
  /** Rows per row group. 100k keeps pages and memory small; bigger groups gain little (measured). */
  rowGroupSize?: number
  /**
   * Parquet footer statistics (min/max/nulls per row group) of primitive non-byte-array columns
   * (default: Delta's own per-file stats already cover string skipping), or none.
   */
  statistics?: 'numeric' | 'none'
  kvMetadata?: Array<{ key: string; value: string }>
}

export const DEFAULT_ROW_GROUP_SIZE = 100_000

/** parquet-mr style `<app> version <x>` so readers that parse created_by recognise the shape. */
const CREATED_BY = `lagomago version ${LAGOMAGO_VERSION}`

// ───────────────────────────── schema ─────────────────────────────

/** An annotation put back on a schema element after the values are written (see `writeParquet`). */
interface Deferred { element: SchemaElement; logical: SchemaElement['logical_type']; converted?: SchemaElement['converted_type'] }

/** Columns whose type has no Parquet representation (void) are not written; readers fill nulls. */
function isWritten(t: DataType): boolean {
  return t !== 'void'
}

/** Preorder Parquet schema elements of the data file for `fields`. */
export function parquetSchema(fields: StructField[], mode: ColumnMappingMode = 'none'): SchemaElement[] {
  const out: SchemaElement[] = []
  const written = fields.filter((f) => isWritten(f.type))
  out.push({ name: 'root', num_children: written.length })
  for (const f of written) pushField(out, physicalName(f, mode), f.type, f.nullable, mode === 'none' ? undefined : fieldId(f), mode, f.name)
  return out
}

function pushField(out: SchemaElement[], name: string, type: DataType, nullable: boolean, id: number | undefined, mode: ColumnMappingMode, column: string): void {
  const repetition_type = nullable ? 'OPTIONAL' : 'REQUIRED'
  const base: SchemaElement = { name, repetition_type }
  if (id !== undefined) base.field_id = id
  if (type === 'variant') {
    // PROTOCOL.md "Variant data in Parquet": a group of two required binaries.
    out.push({ ...base, num_children: 2 })
    out.push({ name: 'value', type: 'BYTE_ARRAY', repetition_type: 'REQUIRED' }, { name: 'metadata', type: 'BYTE_ARRAY', repetition_type: 'REQUIRED' })
    return
  }
  if (typeof type === 'string') {
    out.push({ ...base, ...primitiveElement(type, column) })
    return
  }
  if (isStruct(type)) {
    const children = type.fields.filter((f) => isWritten(f.type))
    if (children.length === 0) throw new UnsupportedFeatureError(`struct column ${column} has no writable fields`, { column })
    out.push({ ...base, num_children: children.length })
    for (const f of children) pushField(out, physicalName(f, mode), f.type, f.nullable, mode === 'none' ? undefined : fieldId(f), mode, `${column}.${f.name}`)
    return
  }
  if (isArray(type)) {
    out.push({ ...base, num_children: 1, converted_type: 'LIST', logical_type: { type: 'LIST' } })
    out.push({ name: 'list', repetition_type: 'REPEATED', num_children: 1 })
    pushField(out, 'element', type.elementType, type.containsNull, undefined, mode, `${column}.element`)
    return
  }
  if (isMap(type)) {
    out.push({ ...base, num_children: 1, converted_type: 'MAP', logical_type: { type: 'MAP' } })
    out.push({ name: 'key_value', repetition_type: 'REPEATED', num_children: 2 })
    pushField(out, 'key', type.keyType, false, undefined, mode, `${column}.key`)
    pushField(out, 'value', type.valueType, type.valueContainsNull, undefined, mode, `${column}.value`)
    return
  }
  throw new UnsupportedFeatureError(`cannot write column ${column} of unknown type`, { column })
}

function primitiveElement(type: string, column: string): Omit<SchemaElement, 'name'> {
  switch (type) {
    case 'boolean': return { type: 'BOOLEAN' }
    // Converted type only: hyparquet-writer serialises IntType.bitWidth as i32 where Thrift says i8,
    // which DuckDB rejects ("TProtocolException: Invalid data"); INT_8/INT_16 mean the same to readers.
    case 'byte': return { type: 'INT32', converted_type: 'INT_8' }
    case 'short': return { type: 'INT32', converted_type: 'INT_16' }
    case 'integer': return { type: 'INT32' }
    case 'long': return { type: 'INT64' }
    case 'float': return { type: 'FLOAT' }
    case 'double': return { type: 'DOUBLE' }
    case 'string': return { type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } }
    case 'binary': return { type: 'BYTE_ARRAY' }
    case 'date': return { type: 'INT32', converted_type: 'DATE', logical_type: { type: 'DATE' } }
    case 'timestamp': return { type: 'INT64', converted_type: 'TIMESTAMP_MICROS', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' } }
    // TIMESTAMP_MICROS as converted type would claim UTC adjustment, so NTZ carries the logical type only.
    case 'timestamp_ntz': return { type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: false, unit: 'MICROS' } }
  }
  const dec = decimalParams(type as DataType)
  if (dec) {
    const { precision, scale } = dec
    const annot = { converted_type: 'DECIMAL' as const, scale, precision, logical_type: { type: 'DECIMAL' as const, scale, precision } }
    // Spark's rule (ParquetWriteSupport, non-legacy): INT32 up to 9 digits, INT64 up to 18, else fixed bytes.
    if (precision <= 9) return { type: 'INT32', ...annot }
    if (precision <= 18) return { type: 'INT64', ...annot }
    return { type: 'FIXED_LEN_BYTE_ARRAY', type_length: decimalBytes(precision), ...annot }
  }
  throw new UnsupportedFeatureError(`writing columns of type ${type} is not supported (column ${column})`, { column })
}

/** Fewest bytes whose two's complement holds every unscaled value of `precision` digits. */
export function decimalBytes(precision: number): number {
  const max = 10n ** BigInt(precision) - 1n
  let bytes = 1
  while ((1n << BigInt(8 * bytes - 1)) - 1n < max) bytes++
  return bytes
}

// ───────────────────────────── values ─────────────────────────────

const encoder = new TextEncoder()

/**
 * UTF-8 bytes of a string column. Unique strings are encoded into one shared buffer (one allocation
 * instead of one per value: the biggest single win measured on 1M rows); repetitive columns reuse
 * one byte array per distinct value, so the dictionary encoder sees identical objects.
 */
function encodeStrings(values: ColumnValues): { data: Array<Uint8Array | null>; repetitive: boolean } {
  const n = values.length
  const sample = Math.min(n, 1000)
  const seen = new Set<unknown>()
  for (let i = 0; i < sample; i++) seen.add(values[Math.floor((i * n) / sample)])
  const repetitive = seen.size * 2 < sample
  const out = new Array<Uint8Array | null>(n)
  if (repetitive) {
    const cache = new Map<string, Uint8Array>()
    for (let i = 0; i < n; i++) {
      const s = values[i] as string | null
      if (s === null || s === undefined) { out[i] = null; continue }
      let b = cache.get(s)
      if (!b) cache.set(s, (b = encoder.encode(s)))
      out[i] = b
    }
    return { data: out, repetitive }
  }
  let total = 0
  for (let i = 0; i < n; i++) {
    const s = values[i] as string | null
    if (s !== null && s !== undefined) total += s.length * 3
  }
  const buf = new Uint8Array(total)
  let off = 0
  for (let i = 0; i < n; i++) {
    const s = values[i] as string | null
    if (s === null || s === undefined) { out[i] = null; continue }
    const start = off
    off += writeUtf8(s, buf, start)
    out[i] = buf.subarray(start, off)
  }
  return { data: out, repetitive }
}

/** Top-level primitive columns: written by our page encoder. */
function isFlat(type: DataType): boolean {
  return typeof type === 'string' && type !== 'variant'
}

/** Nested values reshaped for the Dremel encoder: structs keyed by physical name, maps as entries. */
function shapeNested(v: DeltaValue, type: DataType, mode: ColumnMappingMode): unknown {
  if (v === null || v === undefined) return null
  if (typeof type === 'string') return v
  if (isStruct(type)) {
    const s = v as Record<string, DeltaValue>
    const o: Record<string, unknown> = {}
    for (const f of type.fields) if (isWritten(f.type)) o[physicalName(f, mode)] = shapeNested(s[f.name] ?? null, f.type, mode)
    return o
  }
  if (isArray(type)) return (v as DeltaValue[]).map((e) => shapeNested(e, type.elementType, mode))
  const entries: Array<{ key: unknown; value: unknown }> = []
  for (const [k, val] of v as Map<DeltaValue, DeltaValue>) entries.push({ key: shapeNested(k, type.keyType, mode), value: shapeNested(val, type.valueType, mode) })
  return entries
}

function needsShaping(type: DataType, mode: ColumnMappingMode): boolean {
  if (typeof type === 'string') return false
  if (isMap(type)) return true
  if (isArray(type)) return needsShaping(type.elementType, mode)
  return true // structs: physical names and void fields
}

// ───────────────────────────── writing ─────────────────────────────

/** Write `columns` (all of equal length) as one Parquet file and return its bytes. */
export function writeParquet(columns: DataColumn[], numRows: number, options: ParquetWriteOptions = {}): Uint8Array {
  const mode = options.mode ?? 'none'
  const codec = options.codec ?? 'SNAPPY'
  const statistics = options.statistics ?? 'numeric'
  const written = columns.filter((c) => isWritten(c.field.type))
  for (const c of written) {
    if (c.values.length !== numRows) {
      throw new InvalidArgumentError(`column ${c.field.name} has ${c.values.length} values, expected ${numRows}`, { column: c.field.name })
    }
  }
  const schema = parquetSchema(written.map((c) => c.field), mode)
  // A top-level primitive column without nulls in this file is written REQUIRED: no definition
  // levels to encode. Nullability is not part of a Parquet column's type, so readers are unaffected.
  topLevelElements(schema).forEach((e, j) => {
    if (e.type !== undefined && e.repetition_type === 'OPTIONAL' && !hasNull(written[j].values)) e.repetition_type = 'REQUIRED'
  })
  // TIMESTAMP annotations make hyparquet-writer map every value through BigInt() (a full copy per
  // column); our values are already µs bigints, so the annotations go back on before the footer.
  const deferred: Deferred[] = []
  for (const e of schema) {
    if (e.type === 'INT64' && e.logical_type?.type === 'TIMESTAMP') {
      deferred.push({ element: e, logical: e.logical_type, converted: e.converted_type })
      delete e.logical_type
      delete e.converted_type
    }
  }
  const groupSize = Math.max(1, options.rowGroupSize ?? DEFAULT_ROW_GROUP_SIZE)
  // Room for about half the raw size (what Snappy typically leaves): a huge up-front buffer is
  // external memory that pushes V8 into full collections; too small a one is copied as it doubles.
  const raw = estimateRowBytes(new Map(written.map((c) => [c.field.name, c.values])), numRows) * numRows
  const writer = new ByteWriter(Math.min(256 << 20, Math.max(1 << 16, Math.ceil(raw / 2))))
  const pq = new ParquetWriter({ writer, schema, codec, compressors: { SNAPPY: (b: Uint8Array) => compressPage('SNAPPY', b), GZIP: (b: Uint8Array) => compressPage('GZIP', b) }, statistics: statistics !== 'none', createdBy: CREATED_BY, kvMetadata: options.kvMetadata })
  const flat = written.every((c) => isFlat(c.field.type))
  const elements = topLevelElements(schema)
  for (let start = 0; start < numRows; start += groupSize) {
    const end = Math.min(numRows, start + groupSize)
    if (flat) {
      // Our own page encoder (page-encoder.ts); hyparquet-writer keeps the footer.
      const groupStart = writer.offset
      const chunks = written.map((c, j) => writeFlatChunk(writer, elements[j], c.values, start, end, { codec, statistics: statistics !== 'none', column: c.field.name }))
      let total = 0n
      for (const ch of chunks) total += ch.meta_data?.total_uncompressed_size ?? 0n
      pq.row_groups.push({ columns: chunks, total_byte_size: total, num_rows: BigInt(end - start), total_compressed_size: BigInt(writer.offset - groupStart) })
      pq.num_rows += BigInt(end - start)
      continue
    }
    // Nested columns go through hyparquet-writer's Dremel encoder, one row group at a time: the
    // per-value objects made for it (string byte views, nested shapes) die young.
    const columnData = written.map((c) => {
      const name = physicalName(c.field, mode)
      const t = c.field.type
      const stats = statistics !== 'none' && typeof t === 'string' && t !== 'string' && t !== 'binary' && t !== 'variant'
      const values = sliceValues(c.values, start, end)
      if (t === 'string') {
        const { data, repetitive } = encodeStrings(values)
        return { name, data, statistics: stats, encoding: repetitive ? undefined : ('PLAIN' as const) }
      }
      if (t === 'variant') return { name, data: Array.from(values), statistics: stats }
      if (needsShaping(t, mode)) return { name, data: Array.from(values, (v) => shapeNested(v, t, mode)), statistics: stats }
      return { name, data: values, statistics: stats }
    })
    try {
      // hyparquet-writer's types say DecodedArray; our arrays hold the same primitives.
      pq.write({ columnData: columnData as never, rowGroupSize: end - start })
    } catch (e) {
      throw new SchemaMismatchError(`cannot encode data as Parquet: ${(e as Error).message}`, { cause: e })
    }
  }
  for (const d of deferred) {
    d.element.logical_type = d.logical
    if (d.converted) d.element.converted_type = d.converted
  }
  pq.finish()
  return writer.getBytes()
}

/** The direct children of the root, in order (the schema is a preorder list). */
function topLevelElements(schema: SchemaElement[]): SchemaElement[] {
  const out: SchemaElement[] = []
  let i = 1
  const skip = (k: number): number => {
    let n = schema[k].num_children ?? 0
    let j = k + 1
    while (n-- > 0) j = skip(j)
    return j
  }
  while (i < schema.length) { out.push(schema[i]); i = skip(i) }
  return out
}

function hasNull(values: ColumnValues): boolean {
  if (ArrayBuffer.isView(values)) return false
  for (let i = 0; i < values.length; i++) if (values[i] === null || values[i] === undefined) return true
  return false
}

function sliceValues(values: ColumnValues, start: number, end: number): ColumnValues {
  if (start === 0 && end === values.length) return values
  const v = values as unknown as { subarray?: (s: number, e: number) => ColumnValues; slice: (s: number, e: number) => ColumnValues }
  return typeof v.subarray === 'function' ? v.subarray(start, end) : v.slice(start, end)
}
