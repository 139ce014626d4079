// Delta schema → Arrow schema, and Arrow vectors and batches built from columns of Delta values. Types
// map exactly (issue 3): long → Int64 as bigint, decimal → Decimal128, timestamp → Timestamp(µs, 'UTC'),
// timestamp_ntz → Timestamp(µs) without zone, variant → struct<metadata, value> tagged as the
// canonical `arrow.parquet.variant` extension. The one module that imports apache-arrow: loaded on
// first Arrow output (arrow-lazy.ts), never at `import 'lagomago'`. Arrow → Delta is arrow-input.ts.
import {
  Binary, Bool, type Data, DataType as ArrowType, DateDay, Decimal, Field, Float32, Float64, Int16, Int32, Int64, Int8,
  List, makeData, Map_, RecordBatch, Schema, Struct, Table, TimestampMicrosecond, Utf8,
} from 'apache-arrow'
import { SchemaMismatchError, UnsupportedFeatureError } from '../errors.js'
import { decimalParams, isArray, isMap, isStruct, type DataType, type StructField, type StructType } from './types.js'
import type { DeltaStruct, DeltaValue, VariantValue } from './values.js'
import { writeUtf8 } from './utf8.js'
import type { ValueBatch } from '../scan/scan.js'

export { fromArrowField, fromArrowSchema } from './arrow-input.js'

const EXTENSION_NAME = 'ARROW:extension:name'
const VARIANT_EXTENSION = 'arrow.parquet.variant'

/** The Arrow schema of a Delta schema (or of some of its fields, in order). */
export function toArrowSchema(schema: StructType | StructField[]): Schema {
  const fields = Array.isArray(schema) ? schema : schema.fields
  return new Schema(fields.map((f) => toArrowField(f.name, f.type, f.nullable)))
}

export function toArrowField(name: string, type: DataType, nullable: boolean): Field {
  const meta = type === 'variant' ? new Map([[EXTENSION_NAME, VARIANT_EXTENSION]]) : undefined
  return new Field(name, toArrowType(type), nullable, meta)
}

export function toArrowType(type: DataType): ArrowType {
  if (typeof type === 'string') {
    switch (type) {
      case 'byte': return new Int8()
      case 'short': return new Int16()
      case 'integer': return new Int32()
      case 'long': return new Int64()
      case 'float': return new Float32()
      case 'double': return new Float64()
      case 'string': return new Utf8()
      case 'binary': return new Binary()
      case 'boolean': return new Bool()
      case 'date': return new DateDay()
      case 'timestamp': return new TimestampMicrosecond('UTC')
      case 'timestamp_ntz': return new TimestampMicrosecond(null)
      case 'variant': return new Struct([new Field('metadata', new Binary(), false), new Field('value', new Binary(), false)])
    }
    const d = decimalParams(type)
    if (d) return new Decimal(d.scale, d.precision, 128)
    throw new UnsupportedFeatureError(`no Arrow type for Delta type ${type}`)
  }
  if (isStruct(type)) return new Struct(type.fields.map((f) => toArrowField(f.name, f.type, f.nullable)))
  if (isArray(type)) return new List(toArrowField('element', type.elementType, type.containsNull))
  return new Map_(new Field('entries', new Struct([
    toArrowField('key', type.keyType, false) as Field<never>,
    toArrowField('value', type.valueType, type.valueContainsNull) as Field<never>,
  ]), false), false)
}

// ---- building vectors and batches ----

/** Arrow RecordBatch of a value batch, with `schema` built by toArrowSchema(fields). */
export function valueBatchToArrow(batch: ValueBatch, schema: Schema = toArrowSchema(batch.fields)): RecordBatch {
  const children = batch.fields.map((f, i) => deltaColumnToArrow(batch.columns[i], f.type, schema.fields[i].type))
  const data = makeData({ type: new Struct(schema.fields), length: batch.length, nullCount: 0, children })
  return new RecordBatch(schema, data)
}

/** One Arrow Table of batches (empty with the right schema when there are none). */
export function arrowTable(schema: Schema, batches: RecordBatch[]): Table {
  return new Table(schema, batches)
}


/** Arrow data for one column of Delta values of `type` (null entries are nulls). */
export function deltaColumnToArrow(values: readonly DeltaValue[], type: DataType, arrowType: ArrowType = toArrowType(type)): Data {
  const length = values.length
  const { nullBitmap, nullCount } = validity(values)
  const base = { type: arrowType, length, nullCount, nullBitmap } as const
  if (typeof type === 'string') {
    switch (type) {
      case 'byte': case 'short': case 'integer': case 'date': case 'float': case 'double': {
        const Ctor = type === 'byte' ? Int8Array : type === 'short' ? Int16Array : type === 'float' ? Float32Array
          : type === 'double' ? Float64Array : Int32Array
        if (values instanceof Ctor) return makeData({ ...base, data: values } as never) // typed: no nulls
        const data = new Ctor(length)
        for (let i = 0; i < length; i++) { const v = values[i]; if (v !== null) data[i] = v as number }
        return makeData({ ...base, data } as never)
      }
      case 'long': case 'timestamp': case 'timestamp_ntz': {
        if (values instanceof BigInt64Array) return makeData({ ...base, data: values } as never) // typed: no nulls
        const data = new BigInt64Array(length)
        for (let i = 0; i < length; i++) { const v = values[i]; if (v !== null) data[i] = BigInt(v as bigint) }
        return makeData({ ...base, data } as never)
      }
      case 'boolean': {
        const data = new Uint8Array(Math.ceil(length / 8))
        for (let i = 0; i < length; i++) if (values[i] === true) data[i >> 3] |= 1 << (i & 7)
        return makeData({ ...base, data } as never)
      }
      case 'string': case 'binary': return varBinary(values, base)
      case 'variant': {
        const vs = values as readonly (VariantValue | null)[]
        const children = [
          deltaColumnToArrow(vs.map((v) => v?.metadata ?? null), 'binary'),
          deltaColumnToArrow(vs.map((v) => v?.value ?? null), 'binary'),
        ]
        return makeData({ ...base, children } as never)
      }
    }
    if (decimalParams(type)) {
      const data = new Uint32Array(length * 4)
      for (let i = 0; i < length; i++) {
        const v = values[i]
        if (v === null) continue
        let x = BigInt.asUintN(128, v as bigint)
        for (let w = 0; w < 4; w++) { data[i * 4 + w] = Number(x & 0xffffffffn); x >>= 32n }
      }
      return makeData({ ...base, data } as never)
    }
    throw new UnsupportedFeatureError(`cannot build Arrow data for Delta type ${type}`)
  }
  if (isStruct(type)) {
    const st = arrowType as Struct
    const rows = values as readonly (DeltaStruct | null)[]
    const children = type.fields.map((f, i) =>
      deltaColumnToArrow(rows.map((r) => (r === null ? null : r[f.name] ?? null)), f.type, st.children[i].type))
    return makeData({ ...base, children } as never)
  }
  if (isArray(type)) {
    const valueOffsets = new Int32Array(length + 1)
    const flat: DeltaValue[] = []
    for (let i = 0; i < length; i++) {
      const v = values[i] as DeltaValue[] | null
      if (v !== null) for (const e of v) flat.push(e)
      valueOffsets[i + 1] = flat.length
    }
    const child = deltaColumnToArrow(flat, type.elementType, (arrowType as List).children[0].type)
    return makeData({ ...base, valueOffsets, child } as never)
  }
  if (isMap(type)) {
    const valueOffsets = new Int32Array(length + 1)
    const entries: DeltaStruct[] = []
    for (let i = 0; i < length; i++) {
      const m = values[i] as Map<DeltaValue, DeltaValue> | null
      if (m !== null) for (const [key, value] of m) entries.push({ key, value })
      valueOffsets[i + 1] = entries.length
    }
    const entryType: StructType = { type: 'struct', fields: [
      { name: 'key', type: type.keyType, nullable: false, metadata: {} },
      { name: 'value', type: type.valueType, nullable: type.valueContainsNull, metadata: {} },
    ] }
    const child = deltaColumnToArrow(entries, entryType, (arrowType as Map_).children[0].type)
    return makeData({ ...base, valueOffsets, child } as never)
  }
  throw new UnsupportedFeatureError('cannot build Arrow data for this Delta type')
}

function validity(values: readonly DeltaValue[]): { nullBitmap: Uint8Array | undefined; nullCount: number } {
  if (ArrayBuffer.isView(values)) return { nullBitmap: undefined, nullCount: 0 } // typed columns have no nulls
  let nullCount = 0
  for (const v of values) if (v === null || v === undefined) nullCount++
  if (nullCount === 0) return { nullBitmap: undefined, nullCount }
  const nullBitmap = new Uint8Array(Math.ceil(values.length / 8))
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    if (v !== null && v !== undefined) nullBitmap[i >> 3] |= 1 << (i & 7)
  }
  return { nullBitmap, nullCount }
}

function varBinary(values: readonly DeltaValue[], base: { type: ArrowType; length: number; nullCount: number; nullBitmap?: Uint8Array }): Data {
  const valueOffsets = new Int32Array(values.length + 1)
  let buf: Uint8Array = new Uint8Array(Math.max(64, values.length * 8))
  let pos = 0
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    if (typeof v === 'string') {
      if (pos + v.length * 3 > buf.length) buf = grow(buf, pos + v.length * 3)
      pos += writeUtf8(v, buf, pos)
    } else if (v instanceof Uint8Array) {
      if (pos + v.length > buf.length) buf = grow(buf, pos + v.length)
      buf.set(v, pos)
      pos += v.length
    }
    if (pos > 0x7fffffff) throw new UnsupportedFeatureError('a column batch holds more than 2 GiB of string data; use smaller batches')
    valueOffsets[i + 1] = pos
  }
  return makeData({ ...base, valueOffsets, data: buf.subarray(0, pos) } as never)
}

function grow(buf: Uint8Array, need: number): Uint8Array {
  const next = new Uint8Array(Math.max(need, buf.length * 2))
  next.set(buf)
  return next
}

