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
import { setUtf8Source } from './utf8-source.js'

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

/**
 * Distinct values of a repetitive string column found by their UTF-8 bytes: a hash of the bytes and a
 * byte comparison per row, so no string is made per row (the slice a row would need dies young but
 * costs an allocation and a string hash); each distinct value is decoded once.
 */
class ByteDictionary {
  readonly entries: string[] = []
  private readonly views: Uint8Array[] = []
  private readonly hashes: number[] = []
  private slots = new Int32Array(64)

  private slot = 0
  private hash = 0

  /** The id of the value `bytes[a..b)`, or -1 when it is new (then `add` it). */
  find(bytes: Uint8Array, a: number, b: number): number {
    let h = (b - a) | 0
    for (let k = a; k < b; k++) h = Math.imul(h ^ bytes[k], 0x01000193)
    const mask = this.slots.length - 1
    let slot = h & mask
    for (;;) {
      const e = this.slots[slot] - 1
      if (e < 0) break
      if (this.hashes[e] === h) {
        const v = this.views[e]
        if (v.length === b - a) {
          let k = 0
          while (k < v.length && v[k] === bytes[a + k]) k++
          if (k === v.length) return e
        }
      }
      slot = (slot + 1) & mask
    }
    this.slot = slot
    this.hash = h
    return -1
  }

  /** Add the value `find` just missed, as `bytes[a..b)` decoded to `value`; returns its id. */
  add(bytes: Uint8Array, a: number, b: number, value: string): number {
    const id = this.entries.length
    this.entries.push(value)
    this.views.push(bytes.subarray(a, b))
    this.hashes.push(this.hash)
    this.slots[this.slot] = id + 1
    if (this.entries.length * 2 > this.slots.length) this.grow()
    return id
  }

  private grow(): void {
    const slots = new Int32Array(this.slots.length * 2)
    const mask = slots.length - 1
    this.hashes.forEach((h, e) => {
      let slot = h & mask
      while (slots[slot] !== 0) slot = (slot + 1) & mask
      slots[slot] = e + 1
    })
    this.slots = slots
  }
}

/** More distinct values than a Parquet dictionary takes (page-encoder.ts): the column is not treated as repetitive further. */
const MAX_DISTINCT = 1 << 16

/**
 * An Arrow Utf8 vector's strings. When every value is valid UTF-8 the column keeps its bytes beside it
 * (utf8-source.ts: the page encoder copies them), and a repetitive column its dictionary ids.
 */
function arrowStrings(vec: arrow.Vector, n: number): ColumnValues {
  const out = new Array<DeltaValue>(n)
  let valid = true
  let dictionary: ByteDictionary | undefined
  let ids: Int32Array | undefined
  let i = 0
  for (const d of vec.data) {
    const offsets = d.valueOffsets as Int32Array
    const bytes = d.values as Uint8Array
    const nulls = d.nullCount > 0
    const units = d.length > 0 ? unitOffsets(bytes, offsets, d.length) : undefined
    if (!units) {
      if (d.length > 0) valid = false
      for (let j = 0; j < d.length; j++, i++) {
        out[i] = nulls && !d.getValid(j) ? null : utf8.decode(bytes.subarray(offsets[j], offsets[j + 1]))
      }
      continue
    }
    const { text, starts, first } = units
    const startOf = (j: number) => starts[j] - first
    let j = 0
    // A repetitive column shares one string per distinct value: nothing per row survives (or is
    // copied by) the garbage collector until the write ends.
    if (repetitive(text, starts, first, d.length) && (i === 0 || dictionary)) {
      dictionary ??= new ByteDictionary()
      ids ??= new Int32Array(n)
      for (; j < d.length; j++, i++) {
        if (nulls && !d.getValid(j)) { out[i] = null; ids[i] = -1; continue }
        let id = dictionary.find(bytes, offsets[j], offsets[j + 1])
        if (id < 0) {
          if (dictionary.entries.length >= MAX_DISTINCT) break
          id = dictionary.add(bytes, offsets[j], offsets[j + 1], text.slice(startOf(j), startOf(j + 1)))
        }
        out[i] = dictionary.entries[id]
        ids[i] = id
      }
      if (j === d.length) continue
    }
    dictionary = undefined
    ids = undefined
    for (; j < d.length; j++, i++) out[i] = nulls && !d.getValid(j) ? null : text.slice(startOf(j), startOf(j + 1))
  }
  if (valid && n > 0) {
    let bytes: Uint8Array
    let offsets: Int32Array
    if (vec.data.length === 1) {
      const d = vec.data[0]
      bytes = d.values as Uint8Array
      offsets = (d.valueOffsets as Int32Array).subarray(0, n + 1)
    } else {
      // chunks: their bytes in one buffer
      let total = 0
      const chunks = vec.data.filter((d) => d.length > 0)
      for (const d of chunks) total += (d.valueOffsets as Int32Array)[d.length] - (d.valueOffsets as Int32Array)[0]
      bytes = new Uint8Array(total)
      offsets = new Int32Array(n + 1)
      let r = 0
      let at = 0
      for (const d of chunks) {
        const o = d.valueOffsets as Int32Array
        bytes.set((d.values as Uint8Array).subarray(o[0], o[d.length]), at)
        for (let j = 0; j < d.length; j++) offsets[r++] = at + o[j] - o[0]
        at += o[d.length] - o[0]
      }
      offsets[n] = at
    }
    setUtf8Source(out, { bytes, offsets, ...(dictionary && ids ? { dictionary: { ids, entries: dictionary.entries } } : {}) })
  }
  return out
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
  if (type === 'string' && at.typeId === T.Utf8 && vec.data.every((d) => d.valueOffsets instanceof Int32Array)) return arrowStrings(vec, n)
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
