// The internal value model ("Delta values") shared by expressions, scans and writes, and the three
// conversions around it: total order per Delta type, Delta value → public row value (`toRows`), and
// user input → Delta value (write path validation).
import { ConstraintViolationError, SchemaMismatchError } from '../errors.js'
import { decimalParams, isArray, isMap, isStruct, typeToString, type DataType } from './types.js'
import { decimalPartsOfNumber, fitsPrecision, formatDecimal, parseDecimal, pow10, rescale } from './decimal.js'
import { dateFromMicros, daysFromDate, floorDiv, microsFromDate, parseDate, parseTimestamp } from './temporal.js'

/**
 * byte/short/integer/float/double → number; long → bigint; decimal(p,s) → bigint (unscaled);
 * string → string; binary → Uint8Array; boolean → boolean; date → number (days since 1970-01-01);
 * timestamp/timestamp_ntz → bigint (µs since epoch); struct → record by logical field name;
 * array → DeltaValue[]; map → Map; variant → { metadata, value }; null → null.
 */
export type DeltaValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | DeltaValue[]
  | Map<DeltaValue, DeltaValue>
  | DeltaStruct
  | VariantValue

/** The value of a struct column: field name → value. */
export interface DeltaStruct { [field: string]: DeltaValue }
/** The value of a variant column (semi-structured: JSON-like). */
export interface VariantValue { metadata: Uint8Array; value: Uint8Array }

/** Where a value came from, for error messages on the write path. */
export interface ValueContext {
  column: string
  row?: number
  table?: string
}

const INT_RANGE: Record<string, [number, number]> = {
  byte: [-128, 127],
  short: [-32768, 32767],
  integer: [-2147483648, 2147483647],
}
/** The range of a Delta long (and of microsecond timestamps). */
export const LONG_MIN = -(2n ** 63n)
export const LONG_MAX = 2n ** 63n - 1n

// ───────────────────────────── ordering ─────────────────────────────

/**
 * Compare two strings by Unicode code point, which is UTF-8 byte order (Spark's UTF8String and
 * Parquet's binary order). JS `<` compares UTF-16 code units, which sorts U+E000..U+FFFF above
 * astral characters; remapping the code units fixes that without encoding.
 */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i)
    let y = b.charCodeAt(i)
    if (x === y) continue
    if (x >= 0xd800) x = x >= 0xe000 ? x - 0x800 : x + 0x2000
    if (y >= 0xd800) y = y >= 0xe000 ? y - 0x800 : y + 0x2000
    return x < y ? -1 : 1
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0
}

/** Spark's float order: NaN equals NaN and is above +∞; -0.0 equals 0.0. */
export function compareNumbers(a: number, b: number): number {
  if (a < b) return -1
  if (a > b) return 1
  if (a === b) return 0
  const an = Number.isNaN(a)
  const bn = Number.isNaN(b)
  return an && bn ? 0 : an ? 1 : -1
}

function cmpPrim(a: bigint | number | boolean, b: bigint | number | boolean): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * Total order of two Delta values of the same Delta type; null sorts first. Decimals compare by
 * unscaled value (both at the type's scale), strings by UTF-8 bytes, floats with NaN greatest.
 * Maps are not orderable in Spark; they compare by entry list here only to keep the order total.
 */
export function compareValues(a: DeltaValue, b: DeltaValue, type: DataType): number {
  if (a === null || b === null) return a === null ? (b === null ? 0 : -1) : 1
  if (typeof type === 'string') {
    switch (type) {
      case 'float': case 'double': return compareNumbers(a as number, b as number)
      case 'string': return compareStrings(a as string, b as string)
      case 'binary': return compareBytes(a as Uint8Array, b as Uint8Array)
      case 'variant': {
        const va = a as VariantValue
        const vb = b as VariantValue
        return compareBytes(va.metadata, vb.metadata) || compareBytes(va.value, vb.value)
      }
      default:
        if (typeof a === 'object' || typeof b === 'object') return compareBytes(a as Uint8Array, b as Uint8Array)
        return cmpPrim(a as number, b as number)
    }
  }
  if (isStruct(type)) {
    const sa = a as DeltaStruct
    const sb = b as DeltaStruct
    for (const f of type.fields) {
      const c = compareValues(sa[f.name] ?? null, sb[f.name] ?? null, f.type)
      if (c !== 0) return c
    }
    return 0
  }
  if (isArray(type)) {
    const xa = a as DeltaValue[]
    const xb = b as DeltaValue[]
    const n = Math.min(xa.length, xb.length)
    for (let i = 0; i < n; i++) {
      const c = compareValues(xa[i], xb[i], type.elementType)
      if (c !== 0) return c
    }
    return xa.length - xb.length === 0 ? 0 : xa.length < xb.length ? -1 : 1
  }
  const ea = [...(a as Map<DeltaValue, DeltaValue>).entries()]
  const eb = [...(b as Map<DeltaValue, DeltaValue>).entries()]
  const n = Math.min(ea.length, eb.length)
  for (let i = 0; i < n; i++) {
    const c = compareValues(ea[i][0], eb[i][0], type.keyType) || compareValues(ea[i][1], eb[i][1], type.valueType)
    if (c !== 0) return c
  }
  return ea.length === eb.length ? 0 : ea.length < eb.length ? -1 : 1
}

/** Equality under compareValues (NaN = NaN, as Spark's `=` on floats). */
export function valuesEqual(a: DeltaValue, b: DeltaValue, type: DataType): boolean {
  if (a === b) return true
  if (a === null || b === null) return false
  return compareValues(a, b, type) === 0
}

// ───────────────────────────── Delta value → public row value ─────────────────────────────

/** A value as `toRows` returns it: bigint for long, Date for date/timestamp, decimal text with its scale. */
export type RowValue =
  | null | boolean | number | bigint | string | Date | Uint8Array | RowValue[]
  | Map<RowValue, RowValue> | { [field: string]: RowValue } | VariantValue

export function toRowValue(v: DeltaValue, type: DataType): RowValue {
  if (v === null) return null
  if (typeof type === 'string') {
    if (type === 'date') return new Date((v as number) * 86_400_000)
    if (type === 'timestamp' || type === 'timestamp_ntz') return dateFromMicros(v as bigint)
    const dec = decimalParams(type)
    if (dec) return formatDecimal(v as bigint, dec.scale)
    return v as RowValue
  }
  if (isStruct(type)) {
    const s = v as DeltaStruct
    const out: { [field: string]: RowValue } = {}
    for (const f of type.fields) out[f.name] = toRowValue(s[f.name] ?? null, f.type)
    return out
  }
  if (isArray(type)) return (v as DeltaValue[]).map((e) => toRowValue(e, type.elementType))
  const out = new Map<RowValue, RowValue>()
  for (const [k, val] of v as Map<DeltaValue, DeltaValue>) out.set(toRowValue(k, type.keyType), toRowValue(val, type.valueType))
  return out
}

// ───────────────────────────── user input → Delta value ─────────────────────────────

function where(ctx: ValueContext): string {
  return `column ${ctx.column}${ctx.row === undefined ? '' : ` at row ${ctx.row}`}`
}

function describeInput(input: unknown): string {
  if (input instanceof Date) return `Date ${Number.isNaN(input.getTime()) ? 'Invalid Date' : input.toISOString()}`
  if (typeof input === 'bigint') return `bigint ${input}n`
  if (typeof input === 'string') return `string ${JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input)}`
  if (input instanceof Uint8Array) return `Uint8Array(${input.length})`
  if (Array.isArray(input)) return 'array'
  if (input instanceof Map) return 'Map'
  if (typeof input === 'object' && input !== null) return 'object'
  return `${typeof input} ${String(input)}`
}

function mismatch(input: unknown, type: DataType, ctx: ValueContext, why = ''): SchemaMismatchError {
  return new SchemaMismatchError(
    `cannot write ${describeInput(input)} to ${where(ctx)} of type ${typeToString(type)}${why ? `: ${why}` : ''}`,
    { column: ctx.column, table: ctx.table },
  )
}

/**
 * Validate and convert one user value (plain object field, Arrow cell) to the Delta value of `type`.
 * Accepted: numbers for integral and floating types (safe integers for long), bigint for integral
 * types and timestamps (µs), decimals from string/number/bigint with an exact fit at the scale,
 * Date or ISO text for date/timestamp (timestamps as numbers are epoch ms), Uint8Array/ArrayBuffer
 * for binary, objects for structs, arrays, Map or plain objects for maps. Nested non-nullable
 * fields, array elements and map values are checked; the nullability of the value itself is the
 * caller's (it knows the field).
 */
export function fromRowValue(input: unknown, type: DataType, ctx: ValueContext): DeltaValue {
  if (input === null || input === undefined) return null
  if (typeof type === 'string') return fromPrimitive(input, type, ctx)
  if (isStruct(type)) {
    if (typeof input !== 'object' || Array.isArray(input) || input instanceof Map || input instanceof Uint8Array || input instanceof Date) {
      throw mismatch(input, type, ctx)
    }
    const obj = input as Record<string, unknown>
    const known = new Map(type.fields.map((f) => [f.name.toLowerCase(), f]))
    for (const k of Object.keys(obj)) {
      if (!known.has(k.toLowerCase()) && obj[k] !== undefined) {
        throw new SchemaMismatchError(`unknown field ${ctx.column}.${k} in ${where(ctx)}`, { column: `${ctx.column}.${k}`, table: ctx.table })
      }
    }
    const out: DeltaStruct = {}
    for (const f of type.fields) {
      const key = f.name in obj ? f.name : Object.keys(obj).find((k) => k.toLowerCase() === f.name.toLowerCase())
      const sub = { ...ctx, column: `${ctx.column}.${f.name}` }
      const v = key === undefined ? null : fromRowValue(obj[key], f.type, sub)
      if (v === null && !f.nullable) {
        throw new ConstraintViolationError(`NOT NULL field ${sub.column} is null${ctx.row === undefined ? '' : ` at row ${ctx.row}`}`, { column: sub.column, table: ctx.table })
      }
      out[f.name] = v
    }
    return out
  }
  if (isArray(type)) {
    if (!Array.isArray(input)) throw mismatch(input, type, ctx)
    const sub = { ...ctx, column: `${ctx.column}.element` }
    return input.map((e) => {
      const v = fromRowValue(e, type.elementType, sub)
      if (v === null && !type.containsNull) {
        throw new ConstraintViolationError(`array ${ctx.column} cannot contain null${ctx.row === undefined ? '' : ` (row ${ctx.row})`}`, { column: ctx.column, table: ctx.table })
      }
      return v
    })
  }
  if (isMap(type)) {
    let entries: [unknown, unknown][]
    if (input instanceof Map) entries = [...input.entries()]
    else if (typeof input === 'object' && !Array.isArray(input) && !(input instanceof Uint8Array) && !(input instanceof Date)) {
      entries = Object.entries(input as Record<string, unknown>)
    } else throw mismatch(input, type, ctx)
    const out = new Map<DeltaValue, DeltaValue>()
    for (const [k, val] of entries) {
      const key = fromRowValue(k, type.keyType, { ...ctx, column: `${ctx.column}.key` })
      if (key === null) throw new ConstraintViolationError(`map ${ctx.column} has a null key`, { column: ctx.column, table: ctx.table })
      const v = fromRowValue(val, type.valueType, { ...ctx, column: `${ctx.column}.value` })
      if (v === null && !type.valueContainsNull) {
        throw new ConstraintViolationError(`map ${ctx.column} cannot contain null values`, { column: ctx.column, table: ctx.table })
      }
      out.set(key, v)
    }
    return out
  }
  throw mismatch(input, type, ctx)
}

function toBytes(input: unknown): Uint8Array | undefined {
  if (input instanceof Uint8Array) return input
  if (input instanceof ArrayBuffer) return new Uint8Array(input)
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
  return undefined
}

function fromPrimitive(input: unknown, type: DataType & string, ctx: ValueContext): DeltaValue {
  switch (type) {
    case 'byte': case 'short': case 'integer': {
      const [lo, hi] = INT_RANGE[type]
      let n: number
      if (typeof input === 'number') n = input
      else if (typeof input === 'bigint' && input >= BigInt(lo) && input <= BigInt(hi)) n = Number(input)
      else throw mismatch(input, type, ctx, typeof input === 'bigint' ? 'out of range' : '')
      if (!Number.isInteger(n)) throw mismatch(input, type, ctx, 'not an integer')
      if (n < lo || n > hi) throw mismatch(input, type, ctx, 'out of range')
      return n
    }
    case 'long': {
      if (typeof input === 'bigint') {
        if (input < LONG_MIN || input > LONG_MAX) throw mismatch(input, type, ctx, 'out of range')
        return input
      }
      if (typeof input === 'number') {
        if (!Number.isInteger(input)) throw mismatch(input, type, ctx, 'not an integer')
        if (!Number.isSafeInteger(input)) throw mismatch(input, type, ctx, 'beyond 2^53, pass a bigint')
        return BigInt(input)
      }
      throw mismatch(input, type, ctx)
    }
    case 'float': case 'double': {
      let n: number
      if (typeof input === 'number') n = input
      else if (typeof input === 'bigint') n = Number(input)
      else throw mismatch(input, type, ctx)
      return type === 'float' ? Math.fround(n) : n
    }
    case 'boolean':
      if (typeof input !== 'boolean') throw mismatch(input, type, ctx)
      return input
    case 'string':
      if (typeof input !== 'string') throw mismatch(input, type, ctx)
      return input
    case 'binary': {
      const b = toBytes(input)
      if (!b) throw mismatch(input, type, ctx)
      return b
    }
    case 'date': {
      if (input instanceof Date) {
        if (Number.isNaN(input.getTime())) throw mismatch(input, type, ctx)
        return daysFromDate(input)
      }
      if (typeof input === 'string') {
        const d = parseDate(input)
        if (d !== undefined) return d
        const ts = parseTimestamp(input)
        if (ts && /[T ]/.test(input.trim())) return Number(floorDiv(ts.micros, 86_400_000_000n))
      }
      throw mismatch(input, type, ctx, typeof input === 'string' ? 'expected yyyy-MM-dd' : '')
    }
    case 'timestamp': case 'timestamp_ntz': {
      if (input instanceof Date) {
        if (Number.isNaN(input.getTime())) throw mismatch(input, type, ctx)
        return microsFromDate(input)
      }
      let micros: bigint | undefined
      if (typeof input === 'bigint') micros = input
      else if (typeof input === 'number' && Number.isFinite(input)) micros = BigInt(Math.trunc(input)) * 1000n + BigInt(Math.round((input - Math.trunc(input)) * 1000))
      else if (typeof input === 'string') micros = parseTimestamp(input)?.micros
      if (micros === undefined) throw mismatch(input, type, ctx, typeof input === 'string' ? 'expected an ISO-8601 timestamp' : '')
      // microseconds are stored as a 64-bit long: beyond it the value would wrap
      if (micros < LONG_MIN || micros > LONG_MAX) throw mismatch(input, type, ctx, 'out of range')
      return micros
    }
    case 'variant': {
      if (typeof input === 'object' && input !== null) {
        const o = input as Record<string, unknown>
        const metadata = toBytes(o.metadata)
        const value = toBytes(o.value)
        if (metadata && value) return { metadata, value }
      }
      throw mismatch(input, type, ctx, 'expected { metadata, value } bytes')
    }
    case 'void':
      throw mismatch(input, type, ctx, 'void columns hold only null')
  }
  const dec = decimalParams(type)
  if (dec) {
    let unscaled: bigint | undefined
    if (typeof input === 'bigint') unscaled = input * pow10(dec.scale)
    else if (typeof input === 'number') {
      const p = decimalPartsOfNumber(input)
      unscaled = p && rescale(p.unscaled, p.scale, dec.scale)
    } else if (typeof input === 'string') unscaled = parseDecimal(input, dec.scale)
    else throw mismatch(input, type, ctx)
    if (unscaled === undefined) throw mismatch(input, type, ctx, `not exact at scale ${dec.scale}`)
    if (!fitsPrecision(unscaled, dec.precision)) throw mismatch(input, type, ctx, `more than ${dec.precision} digits`)
    return unscaled
  }
  throw mismatch(input, type, ctx, 'type not writable')
}
