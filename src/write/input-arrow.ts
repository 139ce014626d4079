// Arrow Table/RecordBatch → columns of Delta values: typed buffers taken as they are where the
// types agree exactly, otherwise converted value by value (timestamps and decimals exactly). Types are
// told by `typeId`, so apache-arrow itself is never loaded for this (arrow-input.ts).
import type * as arrow from 'apache-arrow'
import { ConstraintViolationError, SchemaMismatchError } from '../errors.js'
import { ArrowTypeId as T, fromArrowField, isArrowVector } from '../schema/arrow-input.js'
import { floorDiv } from '../schema/temporal.js'
import { isArray, isMap, isStruct, type DataType, type StructField, type StructType } from '../schema/types.js'
import { fromRowValue, type DeltaValue } from '../schema/values.js'
import type { ColumnValues } from './parquet-write.js'
import { checkNotNull, fieldLookup, isExact, missingColumns, type InputBatch, type InputOptions } from './input-common.js'

/** Convert and validate an Arrow Table or RecordBatch for a write to a table with `schema`. */
export function fromArrow(data: arrow.Table | arrow.RecordBatch, schema: StructType, opts: InputOptions): InputBatch {
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

/** Whether a sample of the values repeats (fewer than half distinct), as the page encoder decides on dictionaries. */
function repetitive(text: string, starts: Int32Array, first: number, length: number): boolean {
  const at = (j: number) => starts[j] - first
  const sample = Math.min(length, 256)
  const seen = new Set<string>()
  for (let s = 0; s < sample; s++) {
    const j = Math.floor((s * length) / sample)
    seen.add(text.slice(at(j), at(j + 1)))
  }
  return seen.size * 2 < sample
}

// ignoreBOM: a value starting with U+FEFF keeps it (the decoder drops it by default).
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true })
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * A string column's whole UTF-8 buffer decoded at once, with each value's UTF-16 start: one decoder
 * call and a slice per value instead of a view and a decoder call per value (the largest cost of an
 * Arrow append). Value j is `text.slice(starts[j] - first, starts[j + 1] - first)`; undefined when a
 * value is not valid UTF-8 (the per-value path replaces its bytes).
 */
function unitOffsets(bytes: Uint8Array, offsets: Int32Array, length: number): { text: string; starts: Int32Array; first: number } | undefined {
  const first = offsets[0]
  const last = offsets[length]
  let text: string
  try {
    text = strictUtf8.decode(bytes.subarray(first, last))
  } catch {
    return undefined
  }
  // ASCII: byte offsets are UTF-16 offsets.
  if (text.length === last - first) return { text, starts: offsets, first }
  // Else count UTF-16 units up to each value's first byte: one per lead byte, two for 4-byte ones.
  const units = new Int32Array(length + 1)
  let u = 0
  let b = first
  for (let j = 0; j <= length; j++) {
    const end = offsets[j]
    for (; b < end; b++) {
      const x = bytes[b]
      if ((x & 0xc0) !== 0x80) u += x >= 0xf0 ? 2 : 1
    }
    units[j] = u
    // a character split between two values: each half is invalid alone
    if (end < last && (bytes[end] & 0xc0) === 0x80) return undefined
  }
  return { text, starts: units, first: 0 }
}

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
      (type === 'integer' && d.values instanceof Int32Array && at.typeId === T.Int && at.bitWidth === 32 && at.isSigned) ||
      (type === 'long' && d.values instanceof BigInt64Array && at.typeId === T.Int && at.isSigned) ||
      (type === 'double' && d.values instanceof Float64Array)
    // Arrow slices its value buffers with the Data (`d.offset` only indexes the validity bitmap).
    if (exact) return (d.values as Int32Array | BigInt64Array | Float64Array).subarray(0, d.length) as unknown as ColumnValues
  }
  // Microsecond timestamps without nulls are already the Delta values: copied as 64-bit words.
  if (at.typeId === T.Timestamp && (at.unit as number) === 2 && (type === 'timestamp' || type === 'timestamp_ntz') && vec.nullCount === 0
    && vec.data.every((d) => d.values instanceof BigInt64Array)) {
    if (vec.data.length === 1) { const d = vec.data[0]; return (d.values as BigInt64Array).subarray(0, d.length) as unknown as ColumnValues }
    const typed = new BigInt64Array(n)
    let o = 0
    for (const d of vec.data) { typed.set((d.values as BigInt64Array).subarray(0, d.length), o); o += d.length }
    return typed as unknown as ColumnValues
  }
  // Strings: decoded straight from the UTF-8 buffer (the generic getter costs a visitor call per value).
  if (type === 'string' && at.typeId === T.Utf8 && vec.data.every((d) => d.valueOffsets instanceof Int32Array)) {
    const out = new Array<DeltaValue>(n)
    let i = 0
    for (const d of vec.data) {
      const offsets = d.valueOffsets as Int32Array
      const bytes = d.values as Uint8Array
      const nulls = d.nullCount > 0
      const units = d.length > 0 ? unitOffsets(bytes, offsets, d.length) : undefined
      if (units) {
        const { text, starts, first } = units
        const startOf = (j: number) => starts[j] - first
        // A repetitive column shares one string per distinct value: the slices die young instead of
        // a million of them surviving (and being copied by) the garbage collector until the write ends.
        const canon = repetitive(text, starts, first, d.length) ? new Map<string, string>() : undefined
        for (let j = 0; j < d.length; j++, i++) {
          if (nulls && !d.getValid(j)) { out[i] = null; continue }
          const s = text.slice(startOf(j), startOf(j + 1))
          if (!canon) { out[i] = s; continue }
          let c = canon.get(s)
          if (c === undefined) canon.set(s, (c = s))
          out[i] = c
        }
        continue
      }
      for (let j = 0; j < d.length; j++, i++) {
        out[i] = nulls && !d.getValid(j) ? null : utf8.decode(bytes.subarray(offsets[j], offsets[j + 1]))
      }
    }
    return out
  }
  const out = new Array<DeltaValue>(n)
  if (at.typeId === T.Timestamp) {
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
  if (isStruct(type) && at.typeId === T.Struct) {
    const fields = at.children as arrow.Field[]
    const children = type.fields.map((f) => {
      const child = (vec as arrow.Vector<arrow.Struct>).getChild(f.name) ?? fields.map((c, j) => [c, j] as const).filter(([c]) => c.name.toLowerCase() === f.name.toLowerCase()).map(([, j]) => (vec as arrow.Vector<arrow.Struct>).getChildAt(j))[0]
      return child ? vectorToDelta(child as arrow.Vector, f.type, `${column}.${f.name}`, table) : undefined
    })
    for (const c of fields) {
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
  if (isArray(type) && (at.typeId === T.List || at.typeId === T.FixedSizeList)) {
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
  if (isMap(type) && at.typeId === T.Map) {
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
    if (at.typeId === T.Decimal) {
      // Arrow decimals are unscaled 128-bit integers; rescale to the column's scale exactly.
      const unscaled = BigInt(String(raw))
      const digits = String(unscaled < 0n ? -unscaled : unscaled)
      out[i] = fromRowValue(decimalText(unscaled < 0n ? '-' : '', digits, at.scale), type, ctx)
      continue
    }
    if (at.typeId === T.Date) {
      out[i] = fromRowValue(new Date(raw as number), type, ctx)
      continue
    }
    if (isExact(raw, type)) { out[i] = raw as DeltaValue; continue }
    out[i] = fromRowValue(plain(raw), type, ctx)
  }
  return out
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
  if (isArrowVector(v)) return Array.from(v, plain)
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return plain((v as { toJSON(): unknown }).toJSON())
  if (Array.isArray(v)) return v.map(plain)
  const o: Record<string, unknown> = {}
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) o[k] = plain(x)
  return o
}
