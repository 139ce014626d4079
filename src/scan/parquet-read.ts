// Reading one Parquet data file into columns of Delta values, row group by row group, with hyparquet:
// logical → physical column resolution (column mapping by name or field id, nested), columns missing
// from the file as null, and every physical encoding Delta writers use (INT96 and ms timestamps,
// decimals as INT32/INT64/FIXED/BINARY, legacy lists, widened types, variant).
import { parquetMetadataAsync, parquetScan, parquetSchema, type FileMetaData, type RowGroup, type SchemaTree } from 'hyparquet'
import type { RowGroupColumnStats } from './file-skipping.js'
import { decompressorsFor } from './decompressors.js'
import { CorruptDataError, DeltaError, MissingFileError, UnsupportedFeatureError } from '../errors.js'
import { asyncBufferFor } from '../storage/async-buffer.js'
import { guardPages } from './page-guard.js'
import type { ObjectStore } from '../storage/object-store.js'
import { decimalParams, fieldId, isArray, isMap, isStruct, physicalName, type ColumnMappingMode, type DataType, type StructField } from '../schema/types.js'
import type { DeltaStruct, DeltaValue } from '../schema/values.js'
import { floorDiv } from '../schema/temporal.js'

export interface FileReadContext { table?: string; version?: number; file?: string }

export interface ReadDataFileOptions {
  store: ObjectStore
  /** Store key of the data file. */
  key: string
  /** Size from the log (saves a HEAD). */
  size?: number
  /** Logical top-level fields to produce, in order. */
  fields: StructField[]
  mode: ColumnMappingMode
  /**
   * Row-group pruning: false skips the group (its rows are not yielded), a set reads only those of
   * `fields` (by name; the others come back empty and named in `unread`). `stats(name)` gives the
   * group's min/max/nullCount of a requested top-level primitive field as Delta values, when known.
   */
  keepRowGroup?: (group: { rowCount: number; stats(field: string): RowGroupColumnStats | undefined }) => boolean | ReadonlySet<string>
  ctx?: FileReadContext
}

/** One row group's worth of rows: `rowStart` is the physical index of its first row in the file. */
export interface FileChunk {
  rowStart: number
  numRows: number
  /** One column per requested field, in order (empty for the fields in `unread`). */
  columns: DeltaValue[][]
  /** Fields keepRowGroup left out of this group. */
  unread?: ReadonlySet<string>
}

const decoder = new TextDecoder()

/**
 * hyparquet's parsers, set so values arrive close to the Delta value model: timestamps as bigint
 * microseconds (INT96 and nanos floored, millis scaled), dates as day numbers.
 */
const PARSERS = {
  timestampFromMilliseconds: (ms: bigint) => BigInt(ms) * 1000n,
  timestampFromMicroseconds: (us: bigint) => BigInt(us),
  timestampFromNanoseconds: (ns: bigint) => floorDiv(BigInt(ns), 1000n),
  dateFromDays: (days: number) => days,
  stringFromBytes: (bytes: Uint8Array) => bytes && decoder.decode(bytes),
  jsonFromBytes: (bytes: Uint8Array) => bytes && decoder.decode(bytes),
  geometryFromBytes: (bytes: Uint8Array) => bytes,
  geographyFromBytes: (bytes: Uint8Array) => bytes,
  uuidFromBytes: (bytes: Uint8Array) => bytes,
}


/**
 * Bytes read from a file's end for its footer (a longer footer is then read whole). hyparquet's
 * default of 512 KiB is most of a small file, read again for its column chunks over HTTP or S3.
 */
export const FOOTER_FETCH = 1 << 16

/** Footer of a data file, with statistics decoded by the same parsers as the data. */
export async function readFooter(store: ObjectStore, key: string, size: number | undefined, ctx: FileReadContext = {}): Promise<FileMetaData> {
  const file = await openFile(store, key, size, ctx)
  return wrap(() => parquetMetadataAsync(file, { parsers: PARSERS, geoparquet: false, initialFetchSize: FOOTER_FETCH }), ctx)
}

async function openFile(store: ObjectStore, key: string, size: number | undefined, ctx: FileReadContext) {
  try {
    return await asyncBufferFor(store, key, size)
  } catch (e) {
    if (e instanceof MissingFileError) throw new MissingFileError(`data file ${ctx.file ?? key} is missing`, { ...ctx, cause: e })
    throw e
  }
}

/** Read a data file row group by row group. */
export async function* readDataFile(opts: ReadDataFileOptions): AsyncGenerator<FileChunk> {
  const ctx = { ...opts.ctx, file: opts.ctx?.file ?? opts.key }
  const file = await openFile(opts.store, opts.key, opts.size, ctx)
  const metadata = await wrap(() => parquetMetadataAsync(file, { parsers: PARSERS, geoparquet: false, initialFetchSize: FOOTER_FETCH }), ctx)
  // A damaged footer can hold a schema that cannot be walked (nameless or missing elements throw
  // TypeError): report it as corrupt.
  const resolved = await wrap(() => {
    const tree = parquetSchema(metadata)
    return opts.fields.map((f) => ({ field: f, node: findChild(tree, f, opts.mode) }))
  }, ctx)
  const wanted = [...new Set(resolved.filter((r) => r.node).map((r) => r.node!.element.name))]
  const scan = wanted.length
    ? await wrap(async () => parquetScan({
      file: guardPages(file, metadata), metadata: rawMetadata(metadata), columns: wanted, parsers: PARSERS, compressors: await decompressorsFor(metadata), utf8: false, geoparquet: false,
    }), ctx)
    : undefined
  let groupStart = 0
  for (let g = 0; g < metadata.row_groups.length; g++) {
    const rowGroup = metadata.row_groups[g]
    const numRows = Number(rowGroup.num_rows)
    const rowStart = groupStart
    groupStart += numRows
    if (numRows === 0) continue
    const keep = opts.keepRowGroup ? opts.keepRowGroup({ rowCount: numRows, stats: (name) => rowGroupStats(rowGroup, resolved, name) }) : true
    if (keep === false) continue
    const only = keep === true ? undefined : keep
    let unread: Set<string> | undefined
    const columns: DeltaValue[][] = []
    const raw = new Map<string, Promise<ArrayLike<unknown>>>()
    if (scan) {
      const names = only ? [...new Set(resolved.filter((r) => r.node && only.has(r.field.name)).map((r) => r.node!.element.name))] : wanted
      for (const name of names) {
        const read = wrap(async () => scan.readColumn({ column: name, rowStart, rowEnd: rowStart + numRows }), ctx)
        // Columns are awaited one by one below: once one fails, the others' rejections have no reader
        // and would surface as unhandled rejections (fatal in Node) unless marked as handled here.
        read.catch(() => {})
        raw.set(name, read)
      }
    }
    for (const { field, node } of resolved) {
      if (only && !only.has(field.name)) {
        (unread ??= new Set()).add(field.name)
        columns.push([])
        continue
      }
      if (!node) {
        columns.push(new Array<DeltaValue>(numRows).fill(null))
        continue
      }
      const data = await raw.get(node.element.name)!
      if (data.length !== numRows) throw new CorruptDataError(`column ${node.element.name} has ${data.length} values in a row group of ${numRows} rows`, ctx)
      columns.push(convertColumn(data, field.type, node, opts.mode, { ...ctx, column: field.name }))
    }
    yield unread ? { rowStart, numRows, columns, unread } : { rowStart, numRows, columns }
  }
}

/** Parquet column-chunk statistics of a top-level primitive field, converted to Delta values; undefined when unsure. */
function rowGroupStats(rowGroup: RowGroup, resolved: { field: StructField; node?: SchemaTree }[], name: string): RowGroupColumnStats | undefined {
  const r = resolved.find((x) => x.field.name === name)
  if (!r) return undefined
  const type = r.field.type
  if (!r.node) return { nullCount: Number(rowGroup.num_rows) } // absent from the file: all null
  if (typeof type !== 'string' || r.node.children.length) return undefined
  // decimals arrive as lossy floats, INT96 and binary as bytes: no statistics for those
  if (decimalParams(type) || type === 'binary' || type === 'variant' || r.node.element.type === 'INT96') return undefined
  const chunk = rowGroup.columns.find((c) => c.meta_data?.path_in_schema.length === 1 && c.meta_data.path_in_schema[0] === r.node!.element.name)
  const s = chunk?.meta_data?.statistics
  if (!s) return undefined
  const legacyOk = type !== 'string' // the deprecated min/max used signed byte order for strings
  const conv = converter(type, r.node, 'none', { column: name })
  const value = (v: unknown): DeltaValue | undefined => {
    if (v === undefined || v === null) return undefined
    if (type === 'string' && typeof v !== 'string') return undefined
    try { return conv(v) } catch { return undefined }
  }
  const out: RowGroupColumnStats = {}
  const min = value(s.min_value ?? (legacyOk ? s.min : undefined))
  const max = value(s.max_value ?? (legacyOk ? s.max : undefined))
  if (min !== undefined) out.min = min
  if (max !== undefined) out.max = max
  if (s.is_max_value_exact === false) out.maxExact = false
  if (s.null_count !== undefined && s.null_count !== null) out.nullCount = Number(s.null_count)
  return out
}

async function wrap<T>(fn: () => Promise<T> | T, ctx: FileReadContext): Promise<T> {
  try {
    return await fn()
  } catch (e) {
    if (e instanceof MissingFileError && e.version === undefined) throw new MissingFileError(`data file ${ctx.file} is missing`, { ...ctx, cause: e })
    if (e instanceof DeltaError) throw e
    throw new CorruptDataError(`cannot read parquet file ${ctx.file}: ${(e as Error)?.message ?? e}`, { ...ctx, cause: e })
  }
}

/**
 * A copy of the footer whose schema drops the DECIMAL and VARIANT annotations, so hyparquet hands
 * back the stored integers/bytes (its own decimal decoding is a lossy float) and variant binaries.
 */
function rawMetadata(metadata: FileMetaData): FileMetaData {
  const schema = metadata.schema.map((e) => {
    const dec = e.converted_type === 'DECIMAL' || e.logical_type?.type === 'DECIMAL'
    const variant = e.logical_type?.type === 'VARIANT'
    // INT64 microsecond timestamps are already the value model: read raw, they arrive as one
    // BigInt64Array (no parser call and no object per value).
    const micros = e.type === 'INT64' && (e.converted_type === 'TIMESTAMP_MICROS' || (e.logical_type?.type === 'TIMESTAMP' && e.logical_type.unit === 'MICROS'))
    if (!dec && !variant && !micros) return e
    const copy = { ...e }
    if (dec || micros) delete copy.converted_type
    delete copy.logical_type
    return copy
  })
  return { ...metadata, schema }
}

// ---- schema resolution ----

/** The Parquet child of `parent` holding Delta field `f` (PROTOCOL.md "Reader Requirements for Column Mapping"). */
function findChild(parent: SchemaTree, f: StructField, mode: ColumnMappingMode): SchemaTree | undefined {
  if (mode === 'id') {
    const id = fieldId(f)
    if (id !== undefined) {
      const byId = parent.children.find((c) => c.element.field_id === id)
      if (byId) return byId
      // a file written without field ids is read by physical name, as Spark does
      if (parent.children.some((c) => c.element.field_id !== undefined)) return undefined
    }
  }
  const name = physicalName(f, mode)
  return parent.children.find((c) => c.element.name === name)
    ?? (mode === 'none' ? parent.children.find((c) => c.element.name.toLowerCase() === name.toLowerCase()) : undefined)
}

/** For a LIST-annotated group (3-level or legacy 2-level) or a bare repeated field: the element node. */
function listElement(node: SchemaTree): SchemaTree {
  if (node.element.repetition_type === 'REPEATED' && node.element.converted_type !== 'LIST') return { ...node, element: { ...node.element, repetition_type: 'REQUIRED' } }
  const repeated = node.children[0]
  if (!repeated) throw new UnsupportedFeatureError(`list column ${node.element.name} has no element`)
  // hyparquet treats a repeated group with one child as the 3-level wrapper (element = its child)
  if (repeated.children.length === 1) return repeated.children[0]
  return repeated
}

/**
 * Parquet's backward-compatibility rule for lists: a repeated group with a single field named `array`
 * or `<list>_tuple` is itself the element (a one-field struct), not the 3-level wrapper.
 */
function isLegacyStructList(node: SchemaTree): boolean {
  const repeated = node.children[0]
  return node.element.converted_type === 'LIST' && node.children.length === 1 && repeated.element.repetition_type === 'REPEATED' &&
    repeated.children.length === 1 && (repeated.element.name === 'array' || repeated.element.name === `${node.element.name}_tuple`)
}

// ---- value conversion ----

type Ctx = FileReadContext & { column: string }

function convertColumn(data: ArrayLike<unknown>, type: DataType, node: SchemaTree, mode: ColumnMappingMode, ctx: Ctx): DeltaValue[] {
  // A typed array already in the value model (a REQUIRED column, no nulls) is kept as it is: boxing a
  // million int64s into bigints only to pack them back into Arrow was most of a scan's garbage.
  if (ArrayBuffer.isView(data) && typedIsDeltaValues(data, type, node)) return data as unknown as DeltaValue[]
  // hyparquet's plain array already holds Delta values (an OPTIONAL column, as Spark writes them):
  // keep it, with only a missing value turned into null.
  if (Array.isArray(data) && plainIsDeltaValues(type, node)) {
    const a = data as DeltaValue[]
    for (let i = 0; i < a.length; i++) if (a[i] === undefined) a[i] = null
    return a
  }
  const out = new Array<DeltaValue>(data.length)
  const conv = converter(type, node, mode, ctx)
  for (let i = 0; i < data.length; i++) {
    const v = data[i]
    out[i] = v === null || v === undefined ? null : conv(v)
  }
  return out
}

function typedIsDeltaValues(data: ArrayBufferView, type: DataType, node: SchemaTree): boolean {
  switch (type) {
    case 'long': return data instanceof BigInt64Array
    case 'timestamp': case 'timestamp_ntz': return data instanceof BigInt64Array && node.element.converted_type !== 'DATE'
    case 'byte': case 'short': case 'integer': case 'date': return data instanceof Int32Array
    case 'double': return data instanceof Float64Array
    case 'float': return data instanceof Float32Array
    default: return false
  }
}

/** Whether hyparquet's values for `node` (read with our parsers) are already the Delta values of `type`. */
function plainIsDeltaValues(type: DataType, node: SchemaTree): boolean {
  const e = node.element
  if (node.children.length) return false
  switch (type) {
    case 'long': return e.type === 'INT64' && e.converted_type === undefined && e.logical_type === undefined
    case 'byte': case 'short': case 'integer': return e.type === 'INT32' && e.logical_type?.type !== 'DATE' && e.converted_type !== 'DATE' && !/^UINT/.test(e.converted_type ?? '')
    case 'double': return e.type === 'DOUBLE'
    case 'float': return e.type === 'FLOAT'
    case 'boolean': return e.type === 'BOOLEAN'
    default: return false
  }
}

type Conv = (v: unknown) => DeltaValue

/** A converter from hyparquet's decoded value of `node` to a Delta value of `type`. */
function converter(type: DataType, node: SchemaTree, mode: ColumnMappingMode, ctx: Ctx): Conv {
  const el = node.element
  if (typeof type === 'string') {
    switch (type) {
      case 'byte': case 'short': case 'integer': case 'float': case 'double':
        return (v) => (typeof v === 'bigint' ? Number(v) : (v as number))
      case 'long':
        return (v) => (typeof v === 'bigint' ? v : BigInt(v as number))
      case 'date':
        return (v) => (typeof v === 'bigint' ? Number(v) : (v as number))
      case 'timestamp': case 'timestamp_ntz':
        // date → timestamp_ntz is a legal widening: days become midnight
        if (el.converted_type === 'DATE') return (v) => BigInt(v as number) * 86_400_000_000n
        return (v) => (typeof v === 'bigint' ? v : BigInt(v as number))
      case 'string':
        return (v) => (typeof v === 'string' ? v : v instanceof Uint8Array ? decoder.decode(v) : String(v))
      case 'binary':
        return (v) => (v instanceof Uint8Array ? v : typeof v === 'string' ? new TextEncoder().encode(v) : (v as Uint8Array))
      case 'boolean':
        return (v) => v as boolean
      case 'variant': {
        const m = node.children.find((c) => c.element.name === 'metadata')
        const val = node.children.find((c) => c.element.name === 'value')
        if (!m || !val) throw new UnsupportedFeatureError(`variant column ${ctx.column} lacks metadata/value (shredded variants are not supported)`, ctx)
        const bytes = (x: unknown) => (x instanceof Uint8Array ? x : new TextEncoder().encode(String(x ?? '')))
        return (v) => {
          const o = v as Record<string, unknown>
          return { metadata: bytes(o.metadata), value: bytes(o.value) }
        }
      }
    }
    const d = decimalParams(type)
    if (d) {
      const fileScale = el.scale ?? (el.logical_type as { scale?: number } | undefined)?.scale ?? 0
      const shift = d.scale - fileScale
      if (shift < 0) throw new UnsupportedFeatureError(`column ${ctx.column} is stored with scale ${fileScale}, above the table's ${type}`, ctx)
      const factor = 10n ** BigInt(shift)
      return (v) => {
        let x: bigint
        if (typeof v === 'bigint') x = v
        else if (typeof v === 'number') x = BigInt(v)
        else if (v instanceof Uint8Array) x = bigEndianSigned(v)
        else throw new CorruptDataError(`unexpected ${typeof v} for decimal column ${ctx.column}`, ctx)
        return shift ? x * factor : x
      }
    }
    throw new UnsupportedFeatureError(`reading Delta type ${type} (column ${ctx.column}) is not supported`, ctx)
  }
  if (isStruct(type)) {
    const parts = type.fields.map((f) => {
      const child = findChild(node, f, mode)
      return { name: f.name, key: child?.element.name, conv: child ? converter(f.type, child, mode, { ...ctx, column: `${ctx.column}.${f.name}` }) : undefined }
    })
    return (v) => {
      const o = v as Record<string, unknown>
      const out: DeltaStruct = {}
      for (const p of parts) {
        const x = p.key === undefined ? undefined : o[p.key]
        out[p.name] = x === null || x === undefined || !p.conv ? null : p.conv(x)
      }
      return out
    }
  }
  if (isArray(type)) {
    const elementCtx = { ...ctx, column: `${ctx.column}.element` }
    const repeated = node.children[0]
    if (isStruct(type.elementType) && isLegacyStructList(node)) {
      // 2-level list of one-field structs: hyparquet reads it as a 3-level list of that field's
      // values, so each value is re-wrapped into the element struct (the repeated group itself)
      const conv = converter(type.elementType, { ...repeated, element: { ...repeated.element, repetition_type: 'REQUIRED' } }, mode, elementCtx)
      const inner = repeated.children[0].element.name
      return (v) => (v as unknown[]).map((x) => conv({ [inner]: x }))
    }
    const conv = converter(type.elementType, listElement(node), mode, elementCtx)
    return (v) => (v as unknown[]).map((x) => (x === null || x === undefined ? null : conv(x)))
  }
  if (isMap(type)) {
    const kv = node.children[0]
    const keyNode = kv?.children.find((c) => c.element.name === 'key') ?? kv?.children[0]
    const valueNode = kv?.children.find((c) => c.element.name === 'value') ?? kv?.children[1]
    if (!keyNode || !valueNode) throw new UnsupportedFeatureError(`map column ${ctx.column} has an unexpected layout`, ctx)
    const keyConv = mapKeyConverter(type.keyType, keyNode, ctx)
    const valueConv = converter(type.valueType, valueNode, mode, { ...ctx, column: `${ctx.column}.value` })
    return (v) => {
      const out = new Map<DeltaValue, DeltaValue>()
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) out.set(keyConv(k), x === null || x === undefined ? null : valueConv(x))
      return out
    }
  }
  throw new UnsupportedFeatureError(`reading column ${ctx.column} is not supported`, ctx)
}

/**
 * hyparquet assembles maps as plain objects, so keys arrive as their string form; turn them back
 * into Delta values of the key type.
 */
function mapKeyConverter(type: DataType, node: SchemaTree, ctx: Ctx): (k: string) => DeltaValue {
  const bytesOf = (k: string) => (k === '' ? new Uint8Array(0) : Uint8Array.from(k.split(',').map(Number)))
  const stringKeyIsBytes = node.element.type === 'BYTE_ARRAY' && node.element.converted_type !== 'UTF8' && node.element.logical_type?.type !== 'STRING'
  switch (type) {
    case 'string': return stringKeyIsBytes ? (k) => decoder.decode(bytesOf(k)) : (k) => k
    case 'binary': return (k) => bytesOf(k)
    case 'byte': case 'short': case 'integer': case 'float': case 'double': case 'date': return (k) => Number(k)
    case 'long': case 'timestamp': case 'timestamp_ntz': return (k) => BigInt(k)
    case 'boolean': return (k) => k === 'true'
  }
  const d = typeof type === 'string' ? decimalParams(type) : undefined
  if (d) {
    const conv = converter(type, node, 'none', ctx)
    return node.element.type === 'FIXED_LEN_BYTE_ARRAY' || node.element.type === 'BYTE_ARRAY'
      ? (k) => conv(bytesOf(k))
      : (k) => conv(BigInt(k))
  }
  throw new UnsupportedFeatureError(`maps keyed by ${typeof type === 'string' ? type : type.type} (column ${ctx.column}) are not supported`, ctx)
}

function bigEndianSigned(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n
  let v = 0n
  for (const b of bytes) v = (v << 8n) | BigInt(b)
  return BigInt.asIntN(bytes.length * 8, v)
}
