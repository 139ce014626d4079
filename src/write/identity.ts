// Identity columns (PROTOCOL.md "Identity Columns"): values generated as start + k·step beyond the
// high water mark for rows that leave the column out (or null), explicit values only where
// `delta.identity.allowExplicitInsert` is true, and the new high water mark in the commit's schema.
import { ConstraintViolationError, SchemaMismatchError } from '../errors.js'
import type { StructField, StructType } from '../schema/types.js'
import { LONG_MAX, LONG_MIN, type DeltaValue } from '../schema/values.js'
import type { ColumnValues } from './parquet-write.js'

const START = 'delta.identity.start'
const STEP = 'delta.identity.step'
const HIGH_WATER_MARK = 'delta.identity.highWaterMark'
const ALLOW_EXPLICIT = 'delta.identity.allowExplicitInsert'

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
 * Identity values for the rows one commit inserts, over as many batches as it writes: nulls (or an
 * absent column) get fresh values, explicit values are refused unless allowed, and the advanced high
 * water marks come back as a schema for the commit's metaData.
 */
export class IdentityFiller {
  private readonly specs: IdentitySpec[]
  private readonly next: bigint[]
  private generated = 0
  private rowsSeen = 0

  constructor(private readonly schema: StructType, private readonly table: string) {
    this.specs = identityColumns(schema, table)
    this.next = this.specs.map(firstValue)
  }

  get active(): boolean { return this.specs.length > 0 }
  /** Names of the identity columns. */
  get columns(): string[] { return this.specs.map((s) => s.field.name) }

  /** Fill the identity columns of `n` new rows (`column(name)` gives the values, absent = all null); returns the filled columns by name. */
  fill(column: (name: string) => ArrayLike<DeltaValue> | undefined, n: number): Map<string, DeltaValue[]> {
    const out = new Map<string, DeltaValue[]>()
    this.specs.forEach((spec, j) => {
      const name = spec.field.name
      const given = column(name)
      const values: DeltaValue[] = new Array(n)
      let value = this.next[j]
      for (let i = 0; i < n; i++) {
        const v = given?.[i]
        if (v !== null && v !== undefined) {
          if (!spec.allowExplicitInsert) {
            throw new ConstraintViolationError(`column ${name} of table ${this.table} is GENERATED ALWAYS AS IDENTITY: row ${this.rowsSeen + i} gives it a value (delta.identity.allowExplicitInsert is false)`, { column: name, table: this.table })
          }
          values[i] = v
          continue
        }
        if (value < LONG_MIN || value > LONG_MAX) {
          throw new ConstraintViolationError(`identity column ${name} of table ${this.table} overflows a long at row ${this.rowsSeen + i}`, { column: name, table: this.table })
        }
        values[i] = value
        value += spec.step
        this.generated++
      }
      this.next[j] = value
      out.set(name, values)
    })
    this.rowsSeen += n
    return out
  }

  /** The schema with every column's new high water mark, or undefined when nothing was generated. */
  advancedSchema(): StructType | undefined {
    if (this.generated === 0) return undefined
    let schema = this.schema
    this.specs.forEach((spec, j) => {
      if (this.next[j] === firstValue(spec)) return
      const mark = this.next[j] - spec.step
      // The mark is a JSON number in the schema; beyond 2^53 it would not survive a round trip.
      if (mark > BigInt(Number.MAX_SAFE_INTEGER) || mark < BigInt(Number.MIN_SAFE_INTEGER)) {
        throw new ConstraintViolationError(`identity column ${spec.field.name} of table ${this.table} would reach ${mark}, beyond the exactly representable high water mark`, { column: spec.field.name, table: this.table })
      }
      schema = { ...schema, fields: schema.fields.map((f) => (f.name === spec.field.name ? { ...f, metadata: { ...f.metadata, [HIGH_WATER_MARK]: Number(mark) } } : f)) }
    })
    return schema
  }

  get generatedCount(): number { return this.generated }
}

/** Fill the identity columns of one batch in place; returns the schema with the advanced marks. */
export function assignIdentityValues(schema: StructType, columns: Map<string, ColumnValues>, numRows: number, table: string): IdentityResult {
  const filler = new IdentityFiller(schema, table)
  if (!filler.active) return { generated: 0 }
  for (const [name, values] of filler.fill((name) => columns.get(name), numRows)) columns.set(name, values)
  const next = filler.advancedSchema()
  return next ? { schema: next, generated: filler.generatedCount } : { generated: 0 }
}
