// What both input converters share: the shapes of a write's input and result, field lookup by
// Delta's case-insensitive names, and the NOT NULL checks.
import type * as arrow from 'apache-arrow'
import { ConstraintViolationError } from '../errors.js'
import type { DataType, StructField, StructType } from '../schema/types.js'
import { LONG_MAX, LONG_MIN } from '../schema/values.js'
import type { ColumnValues } from './parquet-write.js'

/** The data a write accepts; plain objects may be typed by an interface (no index signature needed). */
export type WriteData = arrow.Table | arrow.RecordBatch | ReadonlyArray<object>

export interface InputBatch {
  numRows: number
  /** Values by top-level logical column name; a column the input lacks is absent (all null). */
  columns: Map<string, ColumnValues>
  /** The table schema, plus the columns mergeSchema added. */
  schema: StructType
  /** Columns the input brought that the schema lacked (only with mergeSchema). */
  newFields: StructField[]
}

export interface InputOptions {
  mergeSchema?: boolean
  table?: string
  /** Columns the write fills itself (generated, identity): absent from the input is fine. */
  computed?: ReadonlySet<string>
}

/** Lookup of schema fields by exact, then case-insensitive name (Delta names are case-insensitive). */
export function fieldLookup(schema: StructType): (name: string) => StructField | undefined {
  const exact = new Map(schema.fields.map((f) => [f.name, f]))
  const lower = new Map(schema.fields.map((f) => [f.name.toLowerCase(), f]))
  return (name) => exact.get(name) ?? lower.get(name.toLowerCase())
}

export function checkNotNull(values: ColumnValues, field: StructField, table: string | undefined): void {
  // a typed column holds no null (and reading a BigInt64Array allocates a BigInt per value)
  if (field.nullable || ArrayBuffer.isView(values)) return
  for (let i = 0; i < values.length; i++) {
    if (values[i] === null || values[i] === undefined) {
      throw new ConstraintViolationError(`NOT NULL column ${field.name} is null at row ${i}`, { column: field.name, table })
    }
  }
}

export function missingColumns(schema: StructType, present: Set<string>, numRows: number, opts: InputOptions): void {
  if (numRows === 0) return
  for (const f of schema.fields) {
    if (!present.has(f.name) && !f.nullable && !opts.computed?.has(f.name)) {
      throw new ConstraintViolationError(`NOT NULL column ${f.name} is missing from the data`, { column: f.name, table: opts.table })
    }
  }
}

/** Values already in the Delta value model for `type` (skips the full coercion on hot paths). */
export function isExact(v: unknown, type: DataType): boolean {
  switch (type) {
    case 'string': return typeof v === 'string'
    case 'double': return typeof v === 'number'
    case 'integer': return typeof v === 'number' && (v | 0) === v
    case 'long': return typeof v === 'bigint' && v >= LONG_MIN && v <= LONG_MAX
    case 'boolean': return typeof v === 'boolean'
    case 'binary': return v instanceof Uint8Array
  }
  return false
}
