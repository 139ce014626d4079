// File selection for a filter: partition pruning (the predicate evaluated exactly on a file's
// partition values) and data skipping on min/max/nullCount statistics, for whole files (add.stats)
// and for Parquet row groups. Sound by construction: a file is dropped only when no row in it can
// make the predicate TRUE; anything not understood keeps the file.
import type { AddFile } from '../log/actions.js'
import { columnMappingMode, findField, type DataType, type StructType } from '../schema/types.js'
import type { DeltaValue } from '../schema/values.js'
import { parsePartitionValues } from '../schema/partition-values.js'
import { parseStats, type FileStats } from '../schema/stats.js'
import { keyPath, pathKey } from '../schema/column-path.js'
import { bindPredicate, referencedColumns, walkBound, type BoundExpr, type ExprLike } from '../expr/bind.js'
import { compileBoundsCheck, type ColumnBounds, type RowSetSummary } from '../expr/bounds.js'
import type { Expr } from '../expr/ast.js'

export { compileBoundsCheck, rowSetMayMatch, rowSetMustMatch, toNnf, likePrefix, type ColumnBounds, type RowSetSummary } from '../expr/bounds.js'

export interface SnapshotInfo {
  schema: StructType
  partitionColumns: string[]
  configuration: Record<string, string>
}

/** The default `delta.dataSkippingStringPrefixLength`: Delta truncates string stats to 32 characters. */
const STRING_PREFIX_LENGTH = 32

/** Skipping bounds for one column from parsed file stats (timestamps widened, long strings as prefixes). */
export function boundsFromStats(stats: FileStats, key: string, type: DataType, prefixLength = STRING_PREFIX_LENGTH): ColumnBounds | undefined {
  const min = stats.minValues[key]
  let max = stats.maxValues[key]
  const nullCount = stats.nullCount[key]
  if (min === undefined && max === undefined && nullCount === undefined) return undefined
  const b: ColumnBounds = {}
  if (min !== undefined) b.min = min
  if (max !== undefined && max !== null) {
    // PROTOCOL.md "Per-file Statistics": timestamps are truncated to milliseconds, so the true max
    // lies up to 999 µs above the recorded one.
    if ((type === 'timestamp' || type === 'timestamp_ntz') && typeof max === 'bigint') max += 999n
    b.max = max
    if (type === 'string' && typeof max === 'string' && max.length >= prefixLength) b.maxIsPrefix = true
  }
  if (nullCount !== undefined) b.nullCount = nullCount
  return b
}

/** The summary of one add action: its partition values exactly, its stats as bounds. */
export function fileSummary(file: AddFile, info: SnapshotInfo, statsNeeded = true): RowSetSummary {
  const mode = columnMappingMode(info.configuration)
  const cached = parsedOf(file, info.schema, `${mode}|${info.partitionColumns.join('\u0000')}`)
  const parts = cached.parts ??= parsePartitionValues(file.partitionValues, info.schema, info.partitionColumns, mode, { file: file.path })
  const prefixLength = Number(info.configuration['delta.dataSkippingStringPrefixLength'] ?? STRING_PREFIX_LENGTH) || STRING_PREFIX_LENGTH
  const getStats = (): FileStats | undefined => {
    if (!statsNeeded) return undefined
    if (cached.stats === undefined) cached.stats = parseStats(file.stats, info.schema, mode) ?? null
    return cached.stats ?? undefined
  }
  const types = new Map<string, DataType>()
  return {
    get rowCount() { return getStats()?.numRecords },
    exact: (key) => {
      const path = keyPath(key)
      return path.length === 1 && Object.prototype.hasOwnProperty.call(parts, path[0]) ? { value: parts[path[0]!] } : undefined
    },
    bounds: (key) => {
      const st = getStats()
      if (!st) return undefined
      let t = types.get(key)
      if (t === undefined) {
        t = typeAtPath(info.schema, keyPath(key))
        if (t === undefined) return undefined
        types.set(key, t)
      }
      return boundsFromStats(st, key, t, prefixLength)
    },
  }
}

// Parsed partition values and stats per add action, so repeated queries on one snapshot parse each
// file's JSON once. Keyed by the action object and the schema it was parsed against.
interface Parsed { schema: StructType; layout: string; parts?: Record<string, DeltaValue>; stats?: FileStats | null }
const PARSED = new WeakMap<AddFile, Parsed>()

function parsedOf(file: AddFile, schema: StructType, layout: string): Parsed {
  let p = PARSED.get(file)
  if (!p || p.schema !== schema || p.layout !== layout) {
    p = { schema, layout }
    PARSED.set(file, p)
  }
  return p
}

function typeAtPath(schema: StructType, path: string[]): DataType | undefined {
  let t: DataType = schema
  for (const p of path) {
    if (typeof t !== 'object' || t.type !== 'struct') return undefined
    const f = findField(t, p)
    if (!f) return undefined
    t = f.type
  }
  return t
}

function bindFilter(filter: ExprLike | Expr | BoundExpr, info: SnapshotInfo): BoundExpr {
  return bindPredicate(filter, info.schema, { what: 'filter' })
}

/** Whether a bound predicate reads only partition columns (replaceWhere's whole-file case). */
export function isPartitionOnly(predicate: BoundExpr, partitionColumns: string[]): boolean {
  const parts = new Set(partitionColumns.map((c) => pathKey([c]).toLowerCase()))
  return referencedColumns(predicate).every((k) => parts.has(k.toLowerCase()))
}

/**
 * The files a filter may need: partition pruning, then stats skipping. A file is dropped only when
 * no row in it can satisfy the filter; unparseable partition values or stats keep the file.
 */
export function selectFiles(files: AddFile[], info: SnapshotInfo, filter: ExprLike | Expr | BoundExpr | null | undefined): AddFile[] {
  if (filter === null || filter === undefined) return files
  const bound = bindFilter(filter, info)
  const check = compileBoundsCheck(bound)
  const statsNeeded = !isPartitionOnly(bound, info.partitionColumns)
  return files.filter((f) => {
    try {
      return check.mayMatch(fileSummary(f, info, statsNeeded))
    } catch {
      return true
    }
  })
}

/**
 * Whether every row of the file satisfies the predicate, judged from its partition values (and its
 * stats, when `useStats`): such a file can be removed whole by overwrite/replaceWhere/DELETE.
 */
export function predicateCoversFile(predicate: ExprLike | Expr | BoundExpr, file: AddFile, info: SnapshotInfo, useStats = false): boolean {
  const check = compileBoundsCheck(bindFilter(predicate, info))
  try {
    return check.mustMatch(fileSummary(file, info, useStats))
  } catch {
    return false
  }
}

/** Parquet row-group statistics for one column, as the scan converts them to Delta values. */
export interface RowGroupColumnStats {
  min?: DeltaValue
  max?: DeltaValue
  nullCount?: number
  /** False when the writer truncated the max (Parquet `is_max_value_exact`). */
  maxExact?: boolean
}

/** Whether a Parquet row group may hold rows satisfying the predicate (keys are bound column keys). */
export function rowGroupMayMatch(predicate: BoundExpr, rowCount: number, stats: (key: string) => RowGroupColumnStats | undefined,
  exact: (key: string) => { value: DeltaValue } | undefined = () => undefined): boolean {
  return compileBoundsCheck(predicate).mayMatch(rowGroupSummary(predicate, rowCount, stats, exact))
}

/** What a row group's Parquet statistics (and the file's partition values) tell of the predicate's columns. */
export function rowGroupSummary(predicate: BoundExpr, rowCount: number, stats: (key: string) => RowGroupColumnStats | undefined,
  exact: (key: string) => { value: DeltaValue } | undefined = () => undefined): RowSetSummary {
  const types = new Map<string, DataType>()
  walkBound(predicate, (n) => { if (n.kind === 'column') types.set(n.key, n.type) })
  return {
    rowCount,
    exact,
    bounds: (key) => {
      const s = stats(key)
      if (!s) return undefined
      const b: ColumnBounds = {}
      // Parquet timestamp statistics usually reach us through millisecond Dates (truncated toward
      // zero, so off by up to 999 µs either way): widen both ends.
      const t = types.get(key)
      const slack = (t === 'timestamp' || t === 'timestamp_ntz') ? 999n : 0n
      if (s.min !== undefined && s.min !== null) b.min = typeof s.min === 'bigint' ? s.min - slack : s.min
      if (s.max !== undefined && s.max !== null) {
        b.max = typeof s.max === 'bigint' ? s.max + slack : s.max
        if (s.maxExact === false && typeof s.max === 'string') b.maxIsPrefix = true
        else if (s.maxExact === false) delete b.max
      }
      if (s.nullCount !== undefined) b.nullCount = s.nullCount
      return b
    },
  }
}
