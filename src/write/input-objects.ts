// Plain-object rows → columns of Delta values: one pass over the rows into raw columns, then one
// conversion per column by Delta type (a bad value is a SchemaMismatchError naming column and row);
// new columns' types inferred from their values for mergeSchema.
import { SchemaMismatchError } from '../errors.js'
import { isArray, typeToString, type DataType, type StructField, type StructType } from '../schema/types.js'
import { fromRowValue, LONG_MAX, LONG_MIN, type DeltaValue } from '../schema/values.js'
import type { ColumnValues } from './parquet-write.js'
import { checkNotNull, fieldLookup, isExact, missingColumns, type InputBatch, type InputOptions } from './input-common.js'

/**
 * Plain-object rows read once, row by row, into one array of raw values per key. Row objects lie
 * scattered over the heap: one pass over them (a cache miss or two per row) instead of one pass per
 * column, and the for-in loop reads each value through the enum cache.
 */
export interface ObjectColumns {
  numRows: number
  /** Every key a row enumerates (for-in: own and inherited), in order of first sighting. */
  keys: ObjectKey[]
  /** The first row that is not a plain object (null, a primitive, an array), or -1. */
  badRow: number
}

export interface ObjectKey {
  key: string
  /** `rows[i][key]` of every object row i (a plain property read where the row does not enumerate it; undefined as a hole). */
  values: unknown[]
  /** Rank of its first sighting as an own property (-1: never own). */
  ownRank: number
  /** Rank of, and row of, its first sighting with a defined value (-1: never defined). */
  definedRank: number
  definedRow: number
}

/** Transpose plain-object rows into raw columns (no conversion, no error: see `badRow`). */
export function objectColumns(rows: ReadonlyArray<unknown>): ObjectColumns {
  const n = rows.length
  const keys: ObjectKey[] = []
  const byName = new Map<string, ObjectKey>()
  // The previous row's key sequence: rows mostly share one shape, so a key is found by position.
  const prevNames: string[] = []
  const prevKeys: ObjectKey[] = []
  const prevValues: unknown[][] = []
  let prevLen = 0
  let ownRank = 0
  let definedRank = 0
  let badRow = -1
  // keys whose own or defined rank is still unknown: none, once every key has been seen (the hot loop
  // then only moves values)
  let pending = 0
  const slot = (k: string, i: number): ObjectKey => {
    let s = byName.get(k)
    if (s) return s
    const values = new Array<unknown>(n)
    // a key first enumerated by row i: read it from the rows before, as a per-column read would
    for (let r = 0; r < i; r++) {
      const row = rows[r]
      if (row === null || typeof row !== 'object') continue
      const v = (row as Record<string, unknown>)[k]
      if (v !== undefined) values[r] = v
    }
    s = { key: k, values, ownRank: -1, definedRank: -1, definedRow: -1 }
    byName.set(k, s)
    keys.push(s)
    pending++
    return s
  }
  for (let i = 0; i < n; i++) {
    const row = rows[i] as Record<string, unknown>
    if (row === null || typeof row !== 'object') { if (badRow < 0) badRow = i; continue }
    if (badRow < 0 && Array.isArray(row)) badRow = i
    let j = 0
    for (const k in row) {
      let values: unknown[]
      if (j < prevLen && prevNames[j] === k) values = prevValues[j]
      else {
        const s = slot(k, i)
        prevNames[j] = k
        prevKeys[j] = s
        values = prevValues[j] = s.values
      }
      const v = row[k]
      // undefined stays a hole (reads the same): a column of doubles or small ints keeps its
      // unboxed elements kind instead of being converted to boxed values by one stored undefined
      if (v !== undefined) values[i] = v
      if (pending > 0) {
        const s = prevKeys[j]
        if (s.ownRank < 0 || s.definedRank < 0) {
          if (s.ownRank < 0 && Object.hasOwn(row, k)) s.ownRank = ownRank++
          if (s.definedRank < 0 && v !== undefined) { s.definedRank = definedRank++; s.definedRow = i }
          if (s.ownRank >= 0 && s.definedRank >= 0) pending--
        }
      }
      j++
    }
    prevLen = j
    // keys of other rows this one does not enumerate (usually absent: undefined); a key it
    // enumerated with a value has it stored already, one without reads undefined again
    if (j !== keys.length) {
      for (const s of keys) {
        if (s.values[i] !== undefined) continue
        const v = row[s.key]
        if (v !== undefined) s.values[i] = v
      }
    }
  }
  return { numRows: n, keys, badRow }
}

/** Convert and validate plain-object rows for a write to a table with `schema`. */
export function fromObjects(rows: ReadonlyArray<Record<string, unknown>>, schema: StructType, opts: InputOptions): InputBatch {
  return fromObjectColumns(objectColumns(rows), schema, opts)
}

/** `normalizeInput` of plain-object rows already transposed by `objectColumns`. */
export function fromObjectColumns(raw: ObjectColumns, schema: StructType, opts: InputOptions = {}): InputBatch {
  const lookup = fieldLookup(schema)
  const n = raw.numRows
  if (raw.badRow >= 0) throw new SchemaMismatchError(`row ${raw.badRow} is not an object`, { table: opts.table })
  // Keys the schema lacks, in order of their first defined value (undefined everywhere: ignored).
  const unknown: ObjectKey[] = []
  const spellings = new Map<StructField, ObjectKey[]>()
  for (const s of raw.keys) {
    const f = lookup(s.key)
    if (f) {
      const list = spellings.get(f)
      if (list) list.push(s)
      else spellings.set(f, [s])
    } else if (s.definedRank >= 0) unknown.push(s)
  }
  unknown.sort((a, b) => a.definedRank - b.definedRank)
  const newFields: StructField[] = []
  for (const s of unknown) {
    if (!opts.mergeSchema) {
      throw new SchemaMismatchError(`column ${s.key} (row ${s.definedRow}) is not in the table schema; pass mergeSchema: true to add it`, { column: s.key, table: opts.table })
    }
    const f: StructField = { name: s.key, type: inferType(s.values, s.key, opts.table), nullable: true, metadata: {} }
    newFields.push(f)
    spellings.set(f, [s])
  }
  // Columns in order of first sighting of any of their spellings (new columns after them).
  const merged: StructType = newFields.length ? { type: 'struct', fields: [...schema.fields, ...newFields] } : schema
  const columns = new Map<string, ColumnValues>()
  for (const [f, keys] of spellings) {
    const values = convertColumn(keys, f, n, opts.table)
    checkNotNull(values, f, opts.table)
    columns.set(f.name, values)
  }
  missingColumns(merged, new Set(columns.keys()), n, opts)
  return { numRows: n, columns, schema: merged, newFields }
}

/** One column's Delta values from its raw values (several spellings: at most one defined per row). */
function convertColumn(keys: ObjectKey[], f: StructField, n: number, table: string | undefined): ColumnValues {
  const ctx = { column: f.name, row: 0, table }
  const t = f.type
  const first = keys[0].values
  // 64-bit and integer columns go into typed arrays while they have no null: no boxed value per row
  // for the garbage collector to trace, and the typed paths of MERGE and the Parquet writer apply
  // (the first null switches to a plain array; an integer -0 is stored as 0, as Parquet would).
  let typed: BigInt64Array | Float64Array | Int32Array | undefined =
    t === 'long' || t === 'timestamp' || t === 'timestamp_ntz' ? new BigInt64Array(n) : t === 'double' ? new Float64Array(n) : t === 'integer' ? new Int32Array(n) : undefined
  let plainValues: DeltaValue[] | undefined = typed ? undefined : new Array<DeltaValue>(n)
  const put = (i: number, v: DeltaValue) => {
    if (typed) {
      if (v !== null) { typed[i] = v as never; return }
      // an indexed copy (Array.from would go through the iterator protocol: an object per value)
      plainValues = new Array<DeltaValue>(n)
      for (let j = 0; j < i; j++) plainValues[j] = typed[j]
      typed = undefined
    }
    plainValues![i] = v
  }
  // The leading run of values a typed column takes as they are, in one tight loop; the general loop
  // below goes on from the first value it stops at.
  const start = typed && keys.length === 1 ? fillTyped(first, typed, t, n) : 0
  for (let i = start; i < n; i++) {
    let v = first[i]
    for (let k = 1; k < keys.length; k++) {
      const w = keys[k].values[i]
      if (w === undefined) continue
      if (v !== undefined) throw new SchemaMismatchError(`column ${f.name} is given twice in row ${i} (${keys.filter((x) => x.values[i] !== undefined).map((x) => x.key).join(', ')})`, { column: f.name, table })
      v = w
    }
    if (v === null || v === undefined) { put(i, null); continue }
    // Fast path for values already in the Delta value model; everything else is fully coerced.
    if (isExact(v, t)) { put(i, t === 'integer' && v === 0 ? 0 : v as DeltaValue); continue }
    if ((t === 'timestamp' || t === 'timestamp_ntz') && v instanceof Date) {
      const ms = v.getTime()
      if (ms === ms) { // NaN (Invalid Date) takes the error path
        put(i, BigInt(ms) * 1000n)
        continue
      }
    }
    ctx.row = i
    const x = fromRowValue(v, t, ctx)
    // a timestamp beyond the 64-bit range would wrap around in the column (a Date never is)
    if ((t === 'timestamp' || t === 'timestamp_ntz') && typeof x === 'bigint' && (x < LONG_MIN || x > LONG_MAX)) throw outOfRange(v, t, f.name, i, table)
    put(i, t === 'integer' && x === 0 ? 0 : x)
  }
  return (typed ?? plainValues!) as ColumnValues
}

const TWO32 = 4294967296
/** |ms| up to this many: µs = ms × 1000 is an exact double (below 2^53). */
const EXACT_MS = 9_007_199_254_740

/**
 * Stores `raw[0..)` into `typed` while each value is already exact for `t` (numbers, int32s, in-range
 * bigints; Dates for timestamps, written as the µs value's 32-bit halves: no BigInt per row); returns
 * the index of the first value it did not take.
 */
function fillTyped(raw: unknown[], typed: BigInt64Array | Float64Array | Int32Array, t: DataType, n: number): number {
  let i = 0
  if (t === 'double') {
    const out = typed as Float64Array
    for (; i < n; i++) { const v = raw[i]; if (typeof v !== 'number') break; out[i] = v }
  } else if (t === 'integer') {
    const out = typed as Int32Array
    for (; i < n; i++) { const v = raw[i]; if (typeof v !== 'number' || (v | 0) !== v) break; out[i] = v }
  } else if (t === 'long') {
    const out = typed as BigInt64Array
    for (; i < n; i++) { const v = raw[i]; if (typeof v !== 'bigint' || v < LONG_MIN || v > LONG_MAX) break; out[i] = v }
  } else if (t === 'timestamp' || t === 'timestamp_ntz') {
    const halves = new Int32Array(typed.buffer, typed.byteOffset, 2 * n)
    for (; i < n; i++) {
      const v = raw[i]
      if (!(v instanceof Date)) break
      const ms = v.getTime()
      if (!(ms >= -EXACT_MS && ms <= EXACT_MS)) break // NaN and far dates take the BigInt path
      const us = ms * 1000
      const hi = Math.floor(us / TWO32)
      halves[2 * i] = us - hi * TWO32 // the low word, stored modulo 2^32
      halves[2 * i + 1] = hi
    }
  }
  return i
}

function outOfRange(input: unknown, type: DataType, column: string, row: number, table: string | undefined): SchemaMismatchError {
  const what = typeof input === 'bigint' ? `bigint ${input}n` : typeof input === 'string' ? `string ${JSON.stringify(input)}` : `${typeof input} ${String(input)}`
  return new SchemaMismatchError(`cannot write ${what} to column ${column} at row ${row} of type ${typeToString(type)}: out of range`, { column, table })
}

/** Delta type of a new column from its JS values (mergeSchema / schema inference). */
function inferType(raw: ReadonlyArray<unknown>, key: string, table: string | undefined): DataType {
  const values: unknown[] = []
  for (let i = 0; i < raw.length; i++) if (raw[i] !== null && raw[i] !== undefined) values.push(raw[i])
  const t = inferFromValues(values, key)
  if (!t) throw new SchemaMismatchError(`cannot infer a type for new column ${key}: it holds only nulls`, { column: key, table })
  return t
}

export function inferFromValues(values: unknown[], column: string): DataType | undefined {
  const v = values[0]
  if (v === undefined) return undefined
  if (typeof v === 'string') return 'string'
  if (typeof v === 'boolean') return 'boolean'
  if (typeof v === 'bigint') return 'long'
  if (typeof v === 'number') return values.every((x) => typeof x === 'number' && Number.isInteger(x)) ? 'long' : 'double'
  if (v instanceof Date) return 'timestamp'
  if (v instanceof Uint8Array) return 'binary'
  if (Array.isArray(v)) {
    const el = inferFromValues(values.flatMap((x) => (Array.isArray(x) ? x.filter((e) => e !== null && e !== undefined) : [])), `${column}.element`)
    return { type: 'array', elementType: el ?? 'string', containsNull: true }
  }
  if (v instanceof Map) {
    const entries = values.flatMap((x) => (x instanceof Map ? [...x.entries()] : []))
    return {
      type: 'map',
      keyType: inferFromValues(entries.map((e) => e[0]), `${column}.key`) ?? 'string',
      valueType: inferFromValues(entries.map((e) => e[1]).filter((x) => x !== null && x !== undefined), `${column}.value`) ?? 'string',
      valueContainsNull: true,
    }
  }
  if (typeof v === 'object') {
    const keys = [...new Set(values.flatMap((x) => Object.keys(x as object)))]
    return {
      type: 'struct',
      fields: keys.map((k) => ({
        name: k,
        type: inferFromValues(values.map((x) => (x as Record<string, unknown>)[k]).filter((x) => x !== null && x !== undefined), `${column}.${k}`) ?? 'string',
        nullable: true,
        metadata: {},
      })),
    }
  }
  throw new SchemaMismatchError(`cannot infer a Delta type for column ${column} from ${typeof v}`, { column })
}
