// The Parquet schema of a data file: maps each Delta type to the Parquet types Spark writes (INT64
// TIMESTAMP(MICROS), DATE, DECIMAL as INT32/INT64/FIXED by precision, 3-level LIST, MAP key_value),
// physical names and field ids under column mapping; and the checks every file write starts with.
import type { ParquetCodec } from './codec.js'
import { LAGOMAGO_VERSION } from '../txn/engine.js'
import { InvalidArgumentError, UnsupportedFeatureError } from '../errors.js'
import type { DeltaValue } from '../schema/values.js'
import {
  decimalParams, fieldId, isArray, isMap, isStruct, physicalName,
  type ColumnMappingMode, type DataType, type StructField,
} from '../schema/types.js'

/**
 * A Parquet schema element (parquet.thrift SchemaElement), limited to what a Delta data file's schema
 * uses. Declared here rather than taken from hyparquet-writer, which is bundled into dist/: a type
 * from it in our declarations would need the package installed (it is assignable to the writer's type).
 */
export interface SchemaElement {
  name: string
  type?: 'BOOLEAN' | 'INT32' | 'INT64' | 'FLOAT' | 'DOUBLE' | 'BYTE_ARRAY' | 'FIXED_LEN_BYTE_ARRAY'
  type_length?: number
  repetition_type?: 'REQUIRED' | 'OPTIONAL' | 'REPEATED'
  num_children?: number
  converted_type?: 'UTF8' | 'MAP' | 'LIST' | 'DECIMAL' | 'DATE' | 'TIMESTAMP_MICROS' | 'INT_8' | 'INT_16'
  scale?: number
  precision?: number
  field_id?: number
  logical_type?:
    | { type: 'STRING' | 'MAP' | 'LIST' | 'DATE' }
    | { type: 'DECIMAL'; scale: number; precision: number }
    | { type: 'TIMESTAMP'; isAdjustedToUTC: boolean; unit: 'MILLIS' | 'MICROS' | 'NANOS' }
}

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
export const CREATED_BY = `lagomago version ${LAGOMAGO_VERSION}`

// ───────────────────────────── schema ─────────────────────────────

/** Columns whose type has no Parquet representation (void) are not written; readers fill nulls. */
export function isWritten(t: DataType): boolean {
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

/** Top-level primitive columns: written by our page encoder (parquet-flat.ts). */
export function isFlat(type: DataType): boolean {
  return typeof type === 'string' && type !== 'variant'
}

/** The direct children of the root, in order (the schema is a preorder list). */
export function topLevelElements(schema: SchemaElement[]): SchemaElement[] {
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

/**
 * The written columns (void ones dropped) and their schema, after checking every column has
 * `numRows` values. A top-level primitive column without nulls in this file is written REQUIRED: no
 * definition levels to encode. Nullability is not part of a Parquet column's type, so readers are unaffected.
 */
export function fileSchema(columns: DataColumn[], numRows: number, mode: ColumnMappingMode): { written: DataColumn[]; schema: SchemaElement[] } {
  const written = columns.filter((c) => isWritten(c.field.type))
  for (const c of written) {
    if (c.values.length !== numRows) {
      throw new InvalidArgumentError(`column ${c.field.name} has ${c.values.length} values, expected ${numRows}`, { column: c.field.name })
    }
  }
  const schema = parquetSchema(written.map((c) => c.field), mode)
  topLevelElements(schema).forEach((e, j) => {
    if (e.type !== undefined && e.repetition_type === 'OPTIONAL' && !hasNull(written[j].values)) e.repetition_type = 'REQUIRED'
  })
  return { written, schema }
}
