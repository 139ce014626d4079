// Splitting a batch of rows into data files: by partition values (Hive-style `col=value/` folders,
// values serialised and escaped per PROTOCOL.md "Partition Value Serialization"), then into chunks
// near a target file size; and the names Spark gives data files (`part-00000-<uuid>-c000.snappy.parquet`).
import { SchemaMismatchError } from '../errors.js'
import { partitionPathSegment, serializePartitionValue } from '../schema/partition-values.js'
import { findField, physicalName, type ColumnMappingMode, type PrimitiveType, type StructField, type StructType } from '../schema/types.js'
import type { DeltaValue } from '../schema/values.js'
import type { ColumnValues } from './parquet-write.js'

/** Spark's default `delta.targetFileSize`-like goal when none is set: 128 MiB. */
export const DEFAULT_TARGET_FILE_SIZE = 128 * 1024 * 1024

export interface PartitionGroup {
  /** `add.partitionValues`: keyed by physical column name (PROTOCOL.md "Column Mapping"). */
  partitionValues: Record<string, string | null>
  /** Folder under the table root, `''` for an unpartitioned table; escaped, not URL-encoded. */
  dir: string
  /** Row indexes of the batch in this partition, in input order; undefined means all rows. */
  rows?: Int32Array
  numRows: number
}

/** The partition columns as schema fields, refusing non-primitive ones. */
export function partitionFields(schema: StructType, partitionColumns: string[], table?: string): StructField[] {
  return partitionColumns.map((c) => {
    const f = findField(schema, c)
    if (!f) throw new SchemaMismatchError(`partition column ${c} is not in the schema`, { column: c, table })
    if (typeof f.type !== 'string' || f.type === 'variant' || f.type === 'void') {
      throw new SchemaMismatchError(`column ${c} of type ${typeof f.type === 'string' ? f.type : f.type.type} cannot be a partition column`, { column: c, table })
    }
    return f
  })
}

/** Group the rows of a batch by their partition values, groups in order of first appearance. */
export function groupByPartition(
  columns: Map<string, ColumnValues>, numRows: number, fields: StructField[], mode: ColumnMappingMode,
): PartitionGroup[] {
  if (fields.length === 0) return [{ partitionValues: {}, dir: '', numRows }]
  const serialized = fields.map((f) => {
    const values = columns.get(f.name)
    const out = new Array<string | null>(numRows)
    const cache = new Map<DeltaValue, string | null>()
    for (let i = 0; i < numRows; i++) {
      const v = values ? (values[i] ?? null) : null
      let s = cache.get(v)
      if (s === undefined) {
        try {
          s = serializePartitionValue(v, f.type as PrimitiveType)
        } catch (e) {
          throw new SchemaMismatchError(`row ${i}, partition column ${f.name}: ${(e as Error).message}`, { column: f.name, cause: e })
        }
        cache.set(v, s)
      }
      out[i] = s
    }
    return out
  })
  const groups = new Map<string, { values: (string | null)[]; rows: number[] }>()
  for (let i = 0; i < numRows; i++) {
    let key = ''
    for (const col of serialized) {
      const s = col[i]
      key += s === null ? '\u0001' : `${s}\u0000`
    }
    let g = groups.get(key)
    if (!g) groups.set(key, (g = { values: serialized.map((s) => s[i]), rows: [] }))
    g.rows.push(i)
  }
  return [...groups.values()].map((g) => {
    const partitionValues: Record<string, string | null> = {}
    fields.forEach((f, j) => { partitionValues[physicalName(f, mode)] = g.values[j] })
    const dir = fields.map((f, j) => partitionPathSegment(physicalName(f, mode), g.values[j])).join('/')
    return { partitionValues, dir, rows: Int32Array.from(g.rows), numRows: g.rows.length }
  })
}

/** Rough uncompressed bytes per row, from a sample: enough to split files near a target size. */
export function estimateRowBytes(columns: Map<string, ColumnValues>, numRows: number): number {
  if (numRows === 0) return 0
  const sample = Math.min(numRows, 256)
  let bytes = 0
  for (const values of columns.values()) {
    for (let s = 0; s < sample; s++) bytes += valueBytes(values[Math.floor((s * numRows) / sample)])
  }
  return Math.max(1, Math.ceil(bytes / sample))
}

function valueBytes(v: DeltaValue | undefined): number {
  if (v === null || v === undefined) return 1
  switch (typeof v) {
    case 'string': return v.length + 4
    case 'number': return 8
    case 'bigint': return 8
    case 'boolean': return 1
  }
  if (v instanceof Uint8Array) return v.length + 4
  if (Array.isArray(v)) return v.reduce((n: number, e) => n + valueBytes(e), 4)
  if (v instanceof Map) { let n = 4; for (const [k, x] of v) n += valueBytes(k) + valueBytes(x); return n }
  let n = 0
  for (const x of Object.values(v)) n += valueBytes(x as DeltaValue)
  return n
}

/** Row ranges [start, end) of at most `rowsPerFile` rows covering `numRows`. */
export function chunkRanges(numRows: number, rowsPerFile: number): Array<[number, number]> {
  const per = Math.max(1, Math.floor(rowsPerFile))
  const out: Array<[number, number]> = []
  for (let s = 0; s < numRows; s += per) out.push([s, Math.min(numRows, s + per)])
  return out
}

/** `part-00003-<uuid>-c000.snappy.parquet`, as Spark names data files. */
export function dataFileName(index: number, codecSuffix: string, uuid = globalThis.crypto.randomUUID()): string {
  return `part-${String(index).padStart(5, '0')}-${uuid}-c000${codecSuffix}.parquet`
}

/**
 * `add.path` of a store key: a relative URI (PROTOCOL.md "Add File and Remove File"), so the `%` of
 * Hive escapes and any space become `%25`/`%20` as Spark writes them; readers decode it back.
 */
export function logPathOf(key: string): string {
  return key.split('/').map((seg) => encodeURI(seg)).join('/')
}
