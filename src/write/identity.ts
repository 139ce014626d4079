// Identity columns (PROTOCOL.md "Identity Columns"): values generated as start + k·step beyond the
// high water mark for rows that leave the column out (or null), explicit values only where
// `delta.identity.allowExplicitInsert` is true, and the new high water mark in the commit's schema.
import { ConstraintViolationError, SchemaMismatchError } from '../errors.js'
import type { StructField, StructType } from '../schema/types.js'
import type { DeltaValue } from '../schema/values.js'
import type { ColumnValues } from './parquet-write.js'

const START = 'delta.identity.start'
const STEP = 'delta.identity.step'
const HIGH_WATER_MARK = 'delta.identity.highWaterMark'
const ALLOW_EXPLICIT = 'delta.identity.allowExplicitInsert'
const MIN_LONG = -(2n ** 63n)
const MAX_LONG = 2n ** 63n - 1n

export interface IdentitySpec {
  field: StructField
  start: bigint
  step: bigint
  highWaterMark?: bigint
  allowExplicitInsert: boolean
}

/** A long in field metadata: a JSON number (exact up to 2^53) or its decimal string. */
function metadataLong(f: StructField, key: string, table: string): bigint | undefined {
  const v = f.metadata[key]
  if (v === undefined || v === null) return undefined
  if ((typeof v === 'number' && Number.isSafeInteger(v)) || (typeof v === 'string' && /^-?\d+$/.test(v))) return BigInt(v)
  throw new SchemaMismatchError(`identity column ${f.name} of table ${table} has a malformed ${key}: ${JSON.stringify(v)}`, { column: f.name, table })
}

/** Top-level identity columns of `schema` (validated: long type, non-zero step). */
export function identityColumns(schema: StructType, table: string): IdentitySpec[] {
  const out: IdentitySpec[] = []
  for (const field of schema.fields) {
    if (!(START in field.metadata) && !(STEP in field.metadata)) continue
    if (field.type !== 'long') throw new SchemaMismatchError(`identity column ${field.name} of table ${table} must be of type long, not ${JSON.stringify(field.type)}`, { column: field.name, table })
    const start = metadataLong(field, START, table) ?? 1n
    const step = metadataLong(field, STEP, table) ?? 1n
    if (step === 0n) throw new SchemaMismatchError(`identity column ${field.name} of table ${table} has step 0`, { column: field.name, table })
    out.push({ field, start, step, highWaterMark: metadataLong(field, HIGH_WATER_MARK, table), allowExplicitInsert: field.metadata[ALLOW_EXPLICIT] === true || field.metadata[ALLOW_EXPLICIT] === 'true' })
  }
  return out
}

/** The next value on start + k·step (k ≥ 0) strictly beyond the high water mark (start when there is none). */
function firstValue({ start, step, highWaterMark }: IdentitySpec): bigint {
  if (highWaterMark === undefined) return start
  const k = (highWaterMark - start) / step // same signs: truncation is floor
  return k < 0n || (k === 0n && (highWaterMark - start) * step < 0n) ? start : start + (k + 1n) * step
}

export interface IdentityResult {
  /** The schema with the new high water marks, when any value was generated. */
  schema?: StructType
  generated: number
}

/**
 * Fill the identity columns of a batch in place: nulls (or an absent column) get fresh values, and
 * explicit values are refused unless allowed. Returns the schema with the advanced high water marks.
 */
export function assignIdentityValues(schema: StructType, columns: Map<string, ColumnValues>, numRows: number, table: string): IdentityResult {
  const specs = identityColumns(schema, table)
  if (specs.length === 0) return { generated: 0 }
  let next = schema
  let generated = 0
  for (const spec of specs) {
    const name = spec.field.name
    const given = columns.get(name)
    const out: DeltaValue[] = new Array(numRows)
    let k = 0
    let value = firstValue(spec)
    for (let i = 0; i < numRows; i++) {
      const v = given?.[i]
      if (v !== null && v !== undefined) {
        if (!spec.allowExplicitInsert) {
          throw new ConstraintViolationError(`column ${name} of table ${table} is GENERATED ALWAYS AS IDENTITY: row ${i} gives it a value (delta.identity.allowExplicitInsert is false)`, { column: name, table })
        }
        out[i] = v
        continue
      }
      if (value < MIN_LONG || value > MAX_LONG) {
        throw new ConstraintViolationError(`identity column ${name} of table ${table} overflows a long at row ${i}`, { column: name, table })
      }
      out[i] = value
      value += spec.step
      k++
    }
    columns.set(name, out)
    if (k === 0) continue
    generated += k
    const mark = value - spec.step
    // The mark is a JSON number in the schema; beyond 2^53 it would not survive a round trip.
    if (mark > BigInt(Number.MAX_SAFE_INTEGER) || mark < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new ConstraintViolationError(`identity column ${name} of table ${table} would reach ${mark}, beyond the exactly representable high water mark`, { column: name, table })
    }
    next = { ...next, fields: next.fields.map((f) => (f.name === name ? { ...f, metadata: { ...f.metadata, [HIGH_WATER_MARK]: Number(mark) } } : f)) }
  }
  return generated > 0 ? { schema: next, generated } : { generated }
}
