// The Delta schema model (PROTOCOL.md "Schema Serialization Format"), parsed and validated from the
// JSON string in `metaData.schemaString`, plus the column-mapping accessors every layer needs.
import { CorruptLogError, InvalidArgumentError, UnsupportedFeatureError } from '../errors.js'

/** `decimal(precision,scale)`, as Delta writes it in a schema. */
export type DecimalType = `decimal(${number},${number})`
/** Geospatial types carry their CRS in the name, e.g. `geometry(OGC:CRS84)`. */
export type GeoType = `geometry${string}` | `geography${string}`

/** A Delta primitive type name (PROTOCOL.md "Primitive Types"). */
export type PrimitiveType =
  | 'string' | 'long' | 'integer' | 'short' | 'byte' | 'float' | 'double' | 'boolean' | 'binary'
  | 'date' | 'timestamp' | 'timestamp_ntz' | 'variant' | 'void'
  | DecimalType | GeoType

/** A column (or struct field): name, type, nullability and metadata (column mapping ids, comments…). */
export interface StructField {
  name: string
  type: DataType
  nullable: boolean
  metadata: Record<string, unknown>
}

/**
 * A Delta schema (a table's, or a struct column's), as stored in the log.
 * @example
 * const schema: StructType = { type: 'struct', fields: [
 *   { name: 'id', type: 'long', nullable: false, metadata: {} },
 *   { name: 'price', type: 'decimal(10,2)', nullable: true, metadata: {} }] }
 */
export interface StructType {
  type: 'struct'
  fields: StructField[]
}

/** An array column's type. */
export interface ArrayType {
  type: 'array'
  elementType: DataType
  containsNull: boolean
}

/** A map column's type. */
export interface MapType {
  type: 'map'
  keyType: DataType
  valueType: DataType
  valueContainsNull: boolean
}

/** Any Delta data type: a primitive name or a struct, array or map. */
export type DataType = PrimitiveType | StructType | ArrayType | MapType

const PRIMITIVES = new Set<string>([
  'string', 'long', 'integer', 'short', 'byte', 'float', 'double', 'boolean', 'binary',
  'date', 'timestamp', 'timestamp_ntz', 'variant', 'void',
])

const DECIMAL = /^decimal\(\s*(\d+)\s*,\s*(-?\d+)\s*\)$/

export function isStruct(t: DataType): t is StructType {
  return typeof t === 'object' && t.type === 'struct'
}
export function isArray(t: DataType): t is ArrayType {
  return typeof t === 'object' && t.type === 'array'
}
export function isMap(t: DataType): t is MapType {
  return typeof t === 'object' && t.type === 'map'
}
export function isPrimitive(t: DataType): t is PrimitiveType {
  return typeof t === 'string'
}

/** Precision and scale of a decimal type, or undefined for any other type. */
export function decimalParams(t: DataType): { precision: number; scale: number } | undefined {
  if (typeof t !== 'string') return undefined
  const m = DECIMAL.exec(t)
  return m ? { precision: Number(m[1]), scale: Number(m[2]) } : undefined
}

/**
 * Parse `metaData.schemaString`; the result is a validated StructType.
 * @example
 * const schema = parseSchema(snapshot.metadata.schemaString)
 */
export function parseSchema(schemaString: string, ctx: { table?: string; version?: number } = {}): StructType {
  let json: unknown
  try {
    json = JSON.parse(schemaString)
  } catch (e) {
    throw new CorruptLogError(`schemaString is not valid JSON: ${(e as Error).message}`, { ...ctx, cause: e })
  }
  const t = parseDataType(json, '', ctx, 0)
  if (!isStruct(t)) throw new CorruptLogError('schemaString is not a struct type', ctx)
  return t
}

const MAX_DEPTH = 256

/** Validate one JSON data type (recursive). `path` names the column for messages. */
export function parseDataType(json: unknown, path: string, ctx: { table?: string; version?: number } = {}, depth = 0): DataType {
  if (depth > MAX_DEPTH) throw new CorruptLogError(`schema nests deeper than ${MAX_DEPTH} levels at ${path || 'root'}`, ctx)
  if (typeof json === 'string') {
    const s = json.trim()
    if (PRIMITIVES.has(s)) return s as PrimitiveType
    const d = DECIMAL.exec(s)
    if (d) {
      const precision = Number(d[1])
      const scale = Number(d[2])
      if (precision < 1 || precision > 38 || scale < 0 || scale > precision) {
        throw new CorruptLogError(`invalid ${s} for column ${path}`, { ...ctx, column: path })
      }
      return `decimal(${precision},${scale})`
    }
    if (/^(geometry|geography)(\(.*\))?$/.test(s)) return s as GeoType
    throw new UnsupportedFeatureError(`unsupported data type ${JSON.stringify(s)} for column ${path}`, { ...ctx, column: path })
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new CorruptLogError(`invalid data type for column ${path || 'root'}: ${JSON.stringify(json)?.slice(0, 80)}`, { ...ctx, column: path })
  }
  const o = json as Record<string, unknown>
  switch (o.type) {
    case 'struct': {
      if (!Array.isArray(o.fields)) throw new CorruptLogError(`struct ${path || 'root'} has no fields array`, { ...ctx, column: path })
      const fields = o.fields.map((f, i) => parseField(f, path, i, ctx, depth + 1))
      return { type: 'struct', fields }
    }
    case 'array':
      return {
        type: 'array',
        elementType: parseDataType(o.elementType, `${path}.element`, ctx, depth + 1),
        containsNull: o.containsNull !== false,
      }
    case 'map':
      return {
        type: 'map',
        keyType: parseDataType(o.keyType, `${path}.key`, ctx, depth + 1),
        valueType: parseDataType(o.valueType, `${path}.value`, ctx, depth + 1),
        valueContainsNull: o.valueContainsNull !== false,
      }
    default:
      throw new CorruptLogError(`unknown complex type ${JSON.stringify(o.type)} for column ${path || 'root'}`, { ...ctx, column: path })
  }
}

/**
 * A data type given by a caller (createTable's schema, addColumns' types), checked as the log's are;
 * a malformed one is the caller's mistake, so an InvalidArgumentError naming the table and column
 * rather than the log's CorruptLogError. Returns the validated type.
 */
export function checkUserType(json: unknown, path: string, table: string): DataType {
  try {
    return parseDataType(json, path)
  } catch (e) {
    if (!(e instanceof CorruptLogError)) throw e
    throw new InvalidArgumentError(`invalid schema: ${e.message}`, { table, column: e.column || path || undefined, cause: e })
  }
}

function parseField(json: unknown, parent: string, index: number, ctx: { table?: string; version?: number }, depth: number): StructField {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new CorruptLogError(`field #${index} of ${parent || 'root'} is not an object`, ctx)
  }
  const f = json as Record<string, unknown>
  if (typeof f.name !== 'string') throw new CorruptLogError(`field #${index} of ${parent || 'root'} has no name`, ctx)
  const path = parent ? `${parent}.${f.name}` : f.name
  const metadata = f.metadata && typeof f.metadata === 'object' && !Array.isArray(f.metadata) ? (f.metadata as Record<string, unknown>) : {}
  return { name: f.name, type: parseDataType(f.type, path, ctx, depth), nullable: f.nullable !== false, metadata }
}

/**
 * The schema as Delta writes it into `schemaString`.
 * @example
 * const schemaString = serializeSchema(t.schema) // what metaData.schemaString holds
 */
export function serializeSchema(schema: StructType): string {
  return JSON.stringify(schema)
}

/** `delta.columnMapping.mode`: none, name or id. */
export type ColumnMappingMode = 'none' | 'name' | 'id'

export function columnMappingMode(configuration: Record<string, string | undefined>): ColumnMappingMode {
  const m = configuration['delta.columnMapping.mode']
  return m === 'name' || m === 'id' ? m : 'none'
}

/** The name of a field inside the Parquet files (the physical name under column mapping). */
export function physicalName(field: StructField, mode: ColumnMappingMode): string {
  if (mode === 'none') return field.name
  const p = field.metadata['delta.columnMapping.physicalName']
  return typeof p === 'string' ? p : field.name
}

/** The Parquet field id of a field under column mapping mode `id`. */
export function fieldId(field: StructField): number | undefined {
  const id = field.metadata['delta.columnMapping.id']
  return typeof id === 'number' ? id : undefined
}

/** Find a top-level field by name; Delta column names are case-insensitive for lookup. */
export function findField(schema: StructType, name: string): StructField | undefined {
  return schema.fields.find((f) => f.name === name) ?? schema.fields.find((f) => f.name.toLowerCase() === name.toLowerCase())
}

/** Resolve a dotted path (`a.b.c`) through nested structs. */
export function findFieldPath(schema: StructType, path: string[]): StructField | undefined {
  let current: StructType = schema
  let field: StructField | undefined
  for (let i = 0; i < path.length; i++) {
    field = findField(current, path[i])
    if (!field) return undefined
    if (i < path.length - 1) {
      if (!isStruct(field.type)) return undefined
      current = field.type
    }
  }
  return field
}

/** A compact human form (`struct<a:long,b:array<string>>`) for messages. */
export function typeToString(t: DataType): string {
  if (typeof t === 'string') return t
  if (t.type === 'struct') return `struct<${t.fields.map((f) => `${f.name}:${typeToString(f.type)}`).join(',')}>`
  if (t.type === 'array') return `array<${typeToString(t.elementType)}>`
  return `map<${typeToString(t.keyType)},${typeToString(t.valueType)}>`
}
