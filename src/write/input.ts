// User data for a write (an Arrow Table or RecordBatch, or an array of plain objects) → columns of
// Delta values validated against the table schema: values coerced by Delta type (a bad value is a
// SchemaMismatchError naming column and row), NOT NULL enforced, unknown columns refused unless
// mergeSchema adds them.
import * as arrow from 'apache-arrow'
import { ConstraintViolationError, InvalidArgumentError, SchemaMismatchError } from '../errors.js'
import { fromArrowField } from '../schema/arrow.js'
import { isArray, isMap, isStruct, typeToString, type DataType, type StructField, type StructType } from '../schema/types.js'
import { fromRowValue, LONG_MAX, LONG_MIN, type DeltaValue } from '../schema/values.js'
import type { ColumnValues } from './parquet-write.js'
import { floorDiv } from '../schema/temporal.js'

/** The data a write accepts. */
/** Plain objects may be typed by an interface (no index signature needed). */
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

function isArrowTable(d: unknown): d is arrow.Table {
  return d instanceof arrow.Table || (typeof d === 'object' && d !== null && 'batches' in d && 'schema' in d && typeof (d as arrow.Table).getChild === 'function')
}
function isRecordBatch(d: unknown): d is arrow.RecordBatch {
  return d instanceof arrow.RecordBatch || (typeof d === 'object' && d !== null && 'schema' in d && 'data' in d && typeof (d as arrow.RecordBatch).getChild === 'function')
}

/** Convert and validate `data` for a write to a table with `schema`. */
export function normalizeInput(data: WriteData, schema: StructType, opts: InputOptions = {}): InputBatch {
  if (isArrowTable(data) || isRecordBatch(data)) return fromArrow(data, schema, opts)
  if (!Array.isArray(data)) {
    throw new InvalidArgumentError('write data must be an Arrow Table, an Arrow RecordBatch or an array of objects', { table: opts.table })
  }
  return fromObjects(data as ReadonlyArray<Record<string, unknown>>, schema, opts)
}

/** Lookup of schema fields by exact, then case-insensitive name (Delta names are case-insensitive). */
function fieldLookup(schema: StructType): (name: string) => StructField | undefined {
  const exact = new Map(schema.fields.map((f) => [f.name, f]))
  const lower = new Map(schema.fields.map((f) => [f.name.toLowerCase(), f]))
  return (name) => exact.get(name) ?? lower.get(name.toLowerCase())
}

function checkNotNull(values: ColumnValues, field: StructField, table: string | undefined): void {
  // a typed column holds no null (and reading a BigInt64Array allocates a BigInt per value)
  if (field.nullable || ArrayBuffer.isView(values)) return
  for (let i = 0; i < values.length; i++) {
    if (values[i] === null || values[i] === undefined) {
      throw new ConstraintViolationError(`NOT NULL column ${field.name} is null at row ${i}`, { column: field.name, table })
    }
  }
}

function missingColumns(schema: StructType, present: Set<string>, numRows: number, opts: InputOptions): void {
  if (numRows === 0) return
  for (const f of schema.fields) {
    if (!present.has(f.name) && !f.nullable && !opts.computed?.has(f.name)) {
      throw new ConstraintViolationError(`NOT NULL column ${f.name} is missing from the data`, { column: f.name, table: opts.table })
    }
  }
}

// ───────────────────────────── plain objects ─────────────────────────────

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

function fromObjects(rows: ReadonlyArray<Record<string, unknown>>, schema: StructType, opts: InputOptions): InputBatch {
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
  for (let i = 0; i < n; i++) {
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

// ───────────────────────────── Arrow ─────────────────────────────

function fromArrow(data: arrow.Table | arrow.RecordBatch, schema: StructType, opts: InputOptions): InputBatch {
  const lookup = fieldLookup(schema)
  const n = data.numRows
  const columns = new Map<string, ColumnValues>()
  const newFields: StructField[] = []
  for (const af of data.schema.fields) {
    let f = lookup(af.name)
    if (!f) {
      if (!opts.mergeSchema) {
        throw new SchemaMismatchError(`column ${af.name} is not in the table schema; pass mergeSchema: true to add it`, { column: af.name, table: opts.table })
      }
      f = { ...fromArrowField(af), nullable: true }
      newFields.push(f)
    }
    if (columns.has(f.name)) throw new SchemaMismatchError(`column ${f.name} is given twice`, { column: f.name, table: opts.table })
    const vec = data.getChild(af.name)
    if (!vec) continue
    const values = vectorToDelta(vec as arrow.Vector, f.type, f.name, opts.table)
    checkNotNull(values, f, opts.table)
    columns.set(f.name, values)
  }
  const merged: StructType = newFields.length ? { type: 'struct', fields: [...schema.fields, ...newFields] } : schema
  missingColumns(merged, new Set(columns.keys()), n, opts)
  return { numRows: n, columns, schema: merged, newFields }
}

const utf8 = new TextDecoder()

const TIME_UNIT_TO_MICROS = [1_000_000n, 1_000n, 1n, 0n] // SECOND, MILLISECOND, MICROSECOND, NANOSECOND (divide)

/** The Delta values of an Arrow vector, converted to `type` (exact for timestamps and decimals). */
export function vectorToDelta(vec: arrow.Vector, type: DataType, column: string, table?: string): ColumnValues {
  const at = vec.type
  const n = vec.length
  const ctx = { column, row: 0, table }
  // Zero-copy fast paths: one chunk, no nulls, the exact physical type.
  if (vec.data.length === 1 && vec.nullCount === 0) {
    const d = vec.data[0]
    const exact =
      (type === 'integer' && d.values instanceof Int32Array && arrow.DataType.isInt(at) && at.bitWidth === 32 && at.isSigned) ||
      (type === 'long' && d.values instanceof BigInt64Array && arrow.DataType.isInt(at) && at.isSigned) ||
      (type === 'double' && d.values instanceof Float64Array)
    // Arrow slices its value buffers with the Data (`d.offset` only indexes the validity bitmap).
    if (exact) return (d.values as Int32Array | BigInt64Array | Float64Array).subarray(0, d.length) as unknown as ColumnValues
  }
  // Microsecond timestamps without nulls are already the Delta values: copied as 64-bit words.
  if (arrow.DataType.isTimestamp(at) && (at.unit as number) === 2 && (type === 'timestamp' || type === 'timestamp_ntz') && vec.nullCount === 0
    && vec.data.every((d) => d.values instanceof BigInt64Array)) {
    if (vec.data.length === 1) { const d = vec.data[0]; return (d.values as BigInt64Array).subarray(0, d.length) as unknown as ColumnValues }
    const typed = new BigInt64Array(n)
    let o = 0
    for (const d of vec.data) { typed.set((d.values as BigInt64Array).subarray(0, d.length), o); o += d.length }
    return typed as unknown as ColumnValues
  }
  // Strings: decoded straight from the UTF-8 buffer (the generic getter costs a visitor call per value).
  if (type === 'string' && arrow.DataType.isUtf8(at) && vec.data.every((d) => d.valueOffsets instanceof Int32Array)) {
    const out = new Array<DeltaValue>(n)
    let i = 0
    for (const d of vec.data) {
      const offsets = d.valueOffsets as Int32Array
      const bytes = d.values as Uint8Array
      const nulls = d.nullCount > 0
      for (let j = 0; j < d.length; j++, i++) {
        out[i] = nulls && !d.getValid(j) ? null : utf8.decode(bytes.subarray(offsets[j], offsets[j + 1]))
      }
    }
    return out
  }
  const out = new Array<DeltaValue>(n)
  if (arrow.DataType.isTimestamp(at)) {
    let i = 0
    for (const d of vec.data) {
      const values = d.values as BigInt64Array
      const unit = at.unit as number
      for (let j = 0; j < d.length; j++, i++) {
        if (!vec.isValid(i)) { out[i] = null; continue }
        const raw = BigInt(values[j])
        const micros = unit === 3 ? floorDiv(raw, 1000n) : raw * TIME_UNIT_TO_MICROS[unit]
        ctx.row = i
        out[i] = type === 'timestamp' || type === 'timestamp_ntz' ? micros : fromRowValue(new Date(Number(floorDiv(micros, 1000n))), type, ctx)
      }
    }
    return out
  }
  if (isStruct(type) && arrow.DataType.isStruct(at)) {
    const children = type.fields.map((f) => {
      const child = (vec as arrow.Vector<arrow.Struct>).getChild(f.name) ?? at.children.map((c, j) => [c, j] as const).filter(([c]) => c.name.toLowerCase() === f.name.toLowerCase()).map(([, j]) => (vec as arrow.Vector<arrow.Struct>).getChildAt(j))[0]
      return child ? vectorToDelta(child as arrow.Vector, f.type, `${column}.${f.name}`, table) : undefined
    })
    for (const c of at.children) {
      if (!type.fields.some((f) => f.name.toLowerCase() === c.name.toLowerCase())) {
        throw new SchemaMismatchError(`unknown field ${column}.${c.name}`, { column: `${column}.${c.name}`, table })
      }
    }
    for (let i = 0; i < n; i++) {
      if (!vec.isValid(i)) { out[i] = null; continue }
      const o: Record<string, DeltaValue> = {}
      type.fields.forEach((f, j) => {
        const v = children[j]?.[i] ?? null
        if (v === null && !f.nullable) throw new ConstraintViolationError(`NOT NULL field ${column}.${f.name} is null at row ${i}`, { column: `${column}.${f.name}`, table })
        o[f.name] = v
      })
      out[i] = o
    }
    return out
  }
  if (isArray(type) && (arrow.DataType.isList(at) || arrow.DataType.isFixedSizeList(at))) {
    for (let i = 0; i < n; i++) {
      const sub = vec.get(i) as arrow.Vector | null
      if (sub === null) { out[i] = null; continue }
      const els = vectorToDelta(sub, type.elementType, `${column}.element`, table)
      const arr = Array.from(els)
      if (!type.containsNull && arr.some((e) => e === null)) {
        throw new ConstraintViolationError(`array ${column} cannot contain null (row ${i})`, { column, table })
      }
      out[i] = arr
    }
    return out
  }
  if (isMap(type) && arrow.DataType.isMap(at)) {
    for (let i = 0; i < n; i++) {
      const row = vec.get(i) as { [Symbol.iterator](): Iterator<[unknown, unknown]> } | null
      if (row === null) { out[i] = null; continue }
      ctx.row = i
      out[i] = fromRowValue(new Map([...row].map(([k, v]) => [plain(k), plain(v)])), type, ctx)
    }
    return out
  }
  for (let i = 0; i < n; i++) {
    const raw = vec.get(i)
    if (raw === null || raw === undefined) { out[i] = null; continue }
    ctx.row = i
    if (arrow.DataType.isDecimal(at)) {
      // Arrow decimals are unscaled 128-bit integers; rescale to the column's scale exactly.
      const unscaled = BigInt(String(raw))
      const digits = String(unscaled < 0n ? -unscaled : unscaled)
      out[i] = fromRowValue(decimalText(unscaled < 0n ? '-' : '', digits, at.scale), type, ctx)
      continue
    }
    if (arrow.DataType.isDate(at)) {
      out[i] = fromRowValue(new Date(raw as number), type, ctx)
      continue
    }
    if (isExact(raw, type)) { out[i] = raw as DeltaValue; continue }
    out[i] = fromRowValue(plain(raw), type, ctx)
  }
  return out
}


/** Values already in the Delta value model for `type` (skips the full coercion on hot paths). */
function isExact(v: unknown, type: DataType): boolean {
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

function decimalText(sign: string, digits: string, scale: number): string {
  if (scale <= 0) return `${sign}${digits}`
  const padded = digits.padStart(scale + 1, '0')
  return `${sign}${padded.slice(0, -scale)}.${padded.slice(-scale)}`
}

/** Arrow row objects (StructRow, nested vectors) as plain JS values for fromRowValue. */
function plain(v: unknown): unknown {
  if (v === null || v === undefined || typeof v !== 'object') return v
  if (v instanceof Uint8Array || v instanceof Date) return v
  if (v instanceof arrow.Vector) return Array.from(v, plain)
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return plain((v as { toJSON(): unknown }).toJSON())
  if (Array.isArray(v)) return v.map(plain)
  const o: Record<string, unknown> = {}
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) o[k] = plain(x)
  return o
}

