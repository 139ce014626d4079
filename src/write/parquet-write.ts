// Delta value columns → one Parquet data file. Flat columns (every top-level primitive) take our own
// writer (parquet-flat.ts); nested ones (struct, array, map, variant) hyparquet-writer's Dremel encoder,
// which is why this module, and not parquet-flat.ts, loads hyparquet-writer.
import { ByteWriter, ParquetWriter } from 'hyparquet-writer'
import { compressPage } from './codec.js'
import { allFlat, writeFlatParquet } from './parquet-flat.js'
import { CREATED_BY, DEFAULT_ROW_GROUP_SIZE, fileSchema, isWritten, type ColumnValues, type DataColumn, type ParquetWriteOptions, type SchemaElement } from './parquet-schema.js'
import { estimateRowBytes } from './partition.js'
import { writeUtf8 } from '../schema/utf8.js'
import { SchemaMismatchError } from '../errors.js'
import type { DeltaValue } from '../schema/values.js'
import { isArray, isMap, isStruct, physicalName, type ColumnMappingMode, type DataType } from '../schema/types.js'

export { decimalBytes, parquetSchema, DEFAULT_ROW_GROUP_SIZE } from './parquet-schema.js'
export type { ColumnValues, DataColumn, ParquetWriteOptions, SchemaElement } from './parquet-schema.js'

/** An annotation put back on a schema element after the values are written (see `writeParquet`). */
interface Deferred { element: SchemaElement; logical: SchemaElement['logical_type']; converted?: SchemaElement['converted_type'] }

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
  if (allFlat(columns)) return writeFlatParquet(columns, numRows, options)
  const mode = options.mode ?? 'none'
  const codec = options.codec ?? 'SNAPPY'
  const statistics = options.statistics ?? 'numeric'
  const { written, schema } = fileSchema(columns, numRows, mode)
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
  const raw = estimateRowBytes(new Map(written.map((c) => [c.field.name, c.values])), numRows) * numRows
  const writer = new ByteWriter(Math.min(256 << 20, Math.max(1 << 16, Math.ceil(raw / 2))))
  const pq = new ParquetWriter({ writer, schema, codec, compressors: { SNAPPY: (b: Uint8Array) => compressPage('SNAPPY', b), GZIP: (b: Uint8Array) => compressPage('GZIP', b) }, statistics: statistics !== 'none', createdBy: CREATED_BY, kvMetadata: options.kvMetadata })
  for (let start = 0; start < numRows; start += groupSize) {
    const end = Math.min(numRows, start + groupSize)
    // One row group at a time: the per-value objects made for the encoder (string byte views,
    // nested shapes) die young.
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

function sliceValues(values: ColumnValues, start: number, end: number): ColumnValues {
  if (start === 0 && end === values.length) return values
  const v = values as unknown as { subarray?: (s: number, e: number) => ColumnValues; slice: (s: number, e: number) => ColumnValues }
  return typeof v.subarray === 'function' ? v.subarray(start, end) : v.slice(start, end)
}
