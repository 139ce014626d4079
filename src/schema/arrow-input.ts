// Arrow data coming in (writes, MERGE sources, `create` schemas) without loading apache-arrow: a
// caller who passes Arrow has loaded it already, so we recognise its objects by shape and read their
// types by `typeId` (the numbers of Arrow's `Type` enum, fixed by the Arrow format). Loading
// apache-arrow costs more than the rest of the library at import, and plain-object users never need it.
import type { DataType as ArrowType, Field, RecordBatch, Schema, Table, Vector } from 'apache-arrow'
import { SchemaMismatchError } from '../errors.js'
import type { DataType, StructField, StructType } from './types.js'

/** Arrow's `Type` enum values we read (apache-arrow `enum.ts`; a test checks them against it). */
export const ArrowTypeId = {
  Int: 2, Float: 3, Binary: 4, Utf8: 5, Bool: 6, Decimal: 7, Date: 8, Timestamp: 10, List: 12, Struct: 13,
  FixedSizeBinary: 15, FixedSizeList: 16, Map: 17, LargeBinary: 19, LargeUtf8: 20, LargeList: 21,
} as const

const EXTENSION_NAME = 'ARROW:extension:name'
const VARIANT_EXTENSION = 'arrow.parquet.variant'

const isObject = (d: unknown): d is Record<string, unknown> => typeof d === 'object' && d !== null && !Array.isArray(d)

/** An Arrow Table (of any apache-arrow copy). */
export function isArrowTable(d: unknown): d is Table {
  return isObject(d) && 'batches' in d && 'schema' in d && typeof d.getChild === 'function'
}

/** An Arrow RecordBatch (of any apache-arrow copy). */
export function isRecordBatch(d: unknown): d is RecordBatch {
  return isObject(d) && 'schema' in d && 'data' in d && typeof d.getChild === 'function'
}

/** An Arrow Table or RecordBatch. */
export function isArrowData(d: unknown): d is Table | RecordBatch {
  return isObject(d) && 'schema' in d && typeof d.getChild === 'function'
}

/** An Arrow Schema (fields and a metadata Map), as opposed to a Delta StructType (`type: 'struct'`). */
export function isArrowSchema(s: unknown): s is Schema {
  return isObject(s) && s.type !== 'struct' && Array.isArray(s.fields) && s.metadata instanceof Map
}

/** An Arrow Vector (nested list elements, map entries). */
export function isArrowVector(v: unknown): v is Vector {
  return isObject(v) && Array.isArray(v.data) && 'type' in v && typeof v.get === 'function' && typeof v.isValid === 'function'
}

/**
 * The Delta schema of an Arrow schema (write path: `create` and appends of Arrow data).
 * @example
 * const t = await DeltaTable.create('./lake/events', { schema: fromArrowSchema(arrowTable.schema) })
 */
export function fromArrowSchema(schema: Schema): StructType {
  return { type: 'struct', fields: schema.fields.map((f) => fromArrowField(f)) }
}

export function fromArrowField(f: Field): StructField {
  return { name: f.name, type: fromArrowType(f.type, f.metadata, f.name), nullable: f.nullable, metadata: {} }
}

function fromArrowType(t: ArrowType, meta: Map<string, string>, column: string): DataType {
  if (meta.get(EXTENSION_NAME) === VARIANT_EXTENSION) return 'variant'
  const id = t.typeId as number
  const T = ArrowTypeId
  switch (id) {
    case T.Int: {
      const { bitWidth, isSigned } = t as unknown as { bitWidth: number; isSigned: boolean }
      const width = isSigned ? bitWidth : bitWidth * 2 // an unsigned value needs the next signed width
      if (width <= 8) return 'byte'
      if (width <= 16) return 'short'
      if (width <= 32) return 'integer'
      if (width <= 64 && isSigned) return 'long'
      break
    }
    case T.Float: {
      const { precision } = t as unknown as { precision: number }
      return precision === 2 ? 'double' : 'float' // Precision.DOUBLE is 2
    }
    case T.Decimal: {
      const d = t as unknown as { precision: number; scale: number }
      if (d.precision <= 38) return `decimal(${d.precision},${d.scale})`
      break
    }
    case T.Utf8: case T.LargeUtf8: return 'string'
    case T.Binary: case T.LargeBinary: case T.FixedSizeBinary: return 'binary'
    case T.Bool: return 'boolean'
    case T.Date: return 'date'
    case T.Timestamp: return (t as unknown as { timezone?: string | null }).timezone ? 'timestamp' : 'timestamp_ntz'
    case T.Struct:
      return { type: 'struct', fields: t.children.map((c: Field) => fromArrowField(c)) }
    case T.List: case T.LargeList: case T.FixedSizeList: {
      const child = t.children[0] as Field
      return { type: 'array', elementType: fromArrowType(child.type, child.metadata, `${column}.element`), containsNull: child.nullable }
    }
    case T.Map: {
      const entries = (t.children[0] as Field).type
      const [k, v] = entries.children as Field[]
      return {
        type: 'map',
        keyType: fromArrowType(k.type, k.metadata, `${column}.key`),
        valueType: fromArrowType(v.type, v.metadata, `${column}.value`),
        valueContainsNull: v.nullable,
      }
    }
  }
  throw new SchemaMismatchError(`Arrow type ${String(t)} of column ${column} has no Delta equivalent`, { column })
}
