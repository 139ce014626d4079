// The source of a MERGE (an Arrow Table/RecordBatch or an array of plain objects) as columns of Delta
// values. A source column named like a target column takes the target's type (coerced by the write
// path's input rules, errors naming column and row); other columns keep their own type (Arrow's, or
// inferred from the values), so conditions may use them without them ever being stored.
import { InvalidArgumentError } from '../errors.js'
import { fromArrowField, isArrowData } from '../schema/arrow-input.js'
import { findField, type DataType, type StructField, type StructType } from '../schema/types.js'
import type { DeltaValue } from '../schema/values.js'
import { fromObjectColumns, inferFromValues, normalizeInput, objectColumns, type ObjectColumns, type WriteData } from '../write/input.js'
import type { ColumnValues } from '../write/parquet-write.js'

export interface SourceBatch {
  numRows: number
  /** The source's columns: target-typed where the target has the column. */
  schema: StructType
  /** Values by source field name (the target's spelling for shared columns). */
  columns: Map<string, ColumnValues>
}

/** The schema the source is read with: target types for shared names, own types for the rest. */
export function sourceSchemaOf(data: WriteData, target: StructType, table?: string): StructType {
  if (isArrowData(data) || !Array.isArray(data) || data.length === 0) return schemaOf(data, undefined, target, table)
  return schemaOf(data, objectColumns(data), target, table)
}

function schemaOf(data: WriteData, raw: ObjectColumns | undefined, target: StructType, table?: string): StructType {
  const fields: StructField[] = []
  const taken = new Set<string>()
  const add = (name: string, own: () => DataType): void => {
    const t = findField(target, name)
    const f: StructField = t ? { ...t, name: t.name, nullable: true } : { name, type: own(), nullable: true, metadata: {} }
    if (taken.has(f.name.toLowerCase())) throw new InvalidArgumentError(`source column ${name} is given twice (names are case-insensitive)`, { column: name, table })
    taken.add(f.name.toLowerCase())
    fields.push(f)
  }
  if (isArrowData(data)) {
    for (const af of data.schema.fields) add(af.name, () => fromArrowField(af).type)
  } else if (Array.isArray(data)) {
    // An empty batch has no columns to look at: it is read as having the target's (nothing matches).
    if (data.length === 0 || !raw) return { type: 'struct', fields: target.fields.map((f) => ({ ...f, nullable: true })) }
    // the keys some object row owns, in order of first sighting
    const keys = raw.keys.filter((k) => k.ownRank >= 0).sort((a, b) => a.ownRank - b.ownRank)
    for (const k of keys) add(k.key, () => inferFromValues(defined(k.values), k.key) ?? 'string')
  } else {
    throw new InvalidArgumentError('merge source must be an Arrow Table, an Arrow RecordBatch or an array of objects', { table })
  }
  return { type: 'struct', fields }
}

/** The defined values inferFromValues needs: the first alone when its type decides (string, boolean, bigint, Date, bytes). */
function defined(values: ReadonlyArray<unknown>): unknown[] {
  let i = 0
  while (i < values.length && (values[i] === null || values[i] === undefined)) i++
  const v = values[i]
  const t = typeof v
  if (t === 'string' || t === 'boolean' || t === 'bigint' || v instanceof Date || v instanceof Uint8Array) return [v]
  const out: unknown[] = []
  for (; i < values.length; i++) if (values[i] !== null && values[i] !== undefined) out.push(values[i])
  return out
}

/** Convert and type-check the source (SchemaMismatchError naming column and row on a bad value). */
export function normalizeSource(data: WriteData, target: StructType, table?: string): SourceBatch {
  // plain objects are transposed once, for the schema and the values both
  const raw = Array.isArray(data) && data.length > 0 ? objectColumns(data) : undefined
  const schema = schemaOf(data, raw, target, table)
  const batch = raw ? fromObjectColumns(raw, schema, { table }) : normalizeInput(data, schema, { table })
  return { numRows: batch.numRows, schema, columns: batch.columns }
}

/** A column of the source, or all nulls when the source lacks it. */
export function sourceColumn(src: SourceBatch, name: string): ColumnValues {
  const f = findField(src.schema, name)
  return (f && src.columns.get(f.name)) ?? new Array<DeltaValue>(src.numRows).fill(null)
}
