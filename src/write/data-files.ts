// Writing the data files of one write: partition groups → size-bounded chunks → Parquet files with
// their stats → `add` actions. Runs before the commit, so a failure leaves orphan files at most.
import type { AddFile } from '../log/actions.js'
import type { ColumnMappingMode, StructField, StructType } from '../schema/types.js'
import type { DeltaValue } from '../schema/values.js'
import type { ObjectStore } from '../storage/object-store.js'
import { StorageError } from '../errors.js'
import { chunkRanges, dataFileName, DEFAULT_TARGET_FILE_SIZE, estimateRowBytes, groupByPartition, logPathOf, partitionFields } from './partition.js'
import { codecForTable, codecSuffix, loadCompressor } from './codec.js'
import type { ColumnValues, DataColumn, ParquetWriteOptions } from './parquet-write.js'
import { writeCompressionPool } from './compress-offload.js'
import type { PagePool } from './page-pool.js'
import { fileStatsJson, statsColumnSelection } from './stats.js'
import { optionKeys } from '../options.js'
import { nowOf, type Clock } from '../clock.js'

export interface DataFilesTarget {
  store: ObjectStore
  table: string
  schema: StructType
  partitionColumns: string[]
  configuration: Record<string, string>
  mode: ColumnMappingMode
  /** Write `tightBounds` in stats (tables that support deletion vectors). */
  tightBounds: boolean
  /** Also write the partition columns into each file (`materializePartitionColumns`; see features.ts). */
  materializePartitionColumns?: boolean
  /**
   * Columns written after the schema's that are not part of it (row tracking's materialized row id
   * and commit version, PROTOCOL.md "Row Tracking"): taken from the batch by name, no stats.
   */
  hiddenFields?: StructField[]
  /** Columns that get stats whatever the table's stats settings (a clustered table's clustering columns). */
  statsAlways?: string[]
}

/** How data files are written: size of files and row groups, and the clock stamping them. */
export interface WriteFilesOptions {
  /** Bytes per file to aim for (estimated from uncompressed values); default `delta.targetFileSize` or 128 MiB. */
  targetFileSize?: number
  /** Rows per Parquet row group. */
  rowGroupSize?: number
  /** Clock for the files' modification times (epoch ms). */
  now?: Clock
}
export const WRITE_FILES_OPTION_KEYS = optionKeys<WriteFilesOptions>()(['targetFileSize', 'rowGroupSize', 'now'])

export interface WrittenFiles {
  adds: AddFile[]
  numOutputRows: number
  numOutputBytes: number
}

function gather(values: ColumnValues, rows: Int32Array | undefined, start: number, end: number): ColumnValues {
  if (!rows) {
    if (start === 0 && end === values.length) return values
    const v = values as unknown as { subarray?: (s: number, e: number) => ColumnValues; slice: (s: number, e: number) => ColumnValues }
    return v.subarray ? v.subarray(start, end) : v.slice(start, end)
  }
  const out = new Array<DeltaValue>(end - start)
  for (let i = start; i < end; i++) out[i - start] = values[rows[i]] ?? null
  return out
}

function nullColumn(n: number): DeltaValue[] {
  return new Array<DeltaValue>(n).fill(null)
}

/** Start loading the Parquet writer (a dynamic import, issue 15) where a write is coming; never fails. */
export function preloadParquetWriter(fields: StructField[]): void {
  loadWriter(fields).catch(() => {})
}

type WriteParquet = (columns: DataColumn[], numRows: number, options: ParquetWriteOptions) => Uint8Array | Promise<Uint8Array>

/**
 * Flat columns are written by our own writer (its pages compressed on a worker thread when `pool` is
 * given); nested ones need hyparquet-writer (parquet-write.ts).
 */
function loadWriter(fields: StructField[], pool?: PagePool): Promise<{ writeParquet: WriteParquet }> {
  return fields.every((f) => typeof f.type === 'string' && f.type !== 'variant')
    ? (flatWriter ??= import('./parquet-flat.js').catch((e: unknown) => { flatWriter = undefined; throw e }))
      .then((m) => ({ writeParquet: pool ? (c: DataColumn[], n: number, o: ParquetWriteOptions) => m.writeFlatParquetOn(pool, c, n, o) : m.writeFlatParquet }))
    : (nestedWriter ??= import('./parquet-write.js').catch((e: unknown) => { nestedWriter = undefined; throw e }))
}
// Kept (forgotten if the import fails, so a later write tries again): a dynamic import() of a module
// already loaded still goes through the loader's resolution (a loader hook's thread, if any) every time.
let flatWriter: Promise<typeof import('./parquet-flat.js')> | undefined
let nestedWriter: Promise<typeof import('./parquet-write.js')> | undefined

export async function writeDataFiles(
  target: DataFilesTarget, columns: Map<string, ColumnValues>, numRows: number, options: WriteFilesOptions = {},
): Promise<WrittenFiles> {
  if (numRows === 0) return { adds: [], numOutputRows: 0, numOutputBytes: 0 }
  const pFields = partitionFields(target.schema, target.partitionColumns, target.table)
  const pNames = new Set(pFields.map((f) => f.name))
  const dataFields: StructField[] = target.schema.fields.filter((f) => !pNames.has(f.name))
  const selected = statsColumnSelection({ type: 'struct', fields: dataFields }, target.configuration)
  for (const c of target.statsAlways ?? []) selected.add(c)
  const codec = codecForTable(target.configuration)
  const suffix = codecSuffix(codec)
  const configured = Number.parseInt(target.configuration['delta.targetFileSize'] ?? '', 10)
  const targetSize = options.targetFileSize ?? (Number.isFinite(configured) && configured > 0 ? configured : DEFAULT_TARGET_FILE_SIZE)
  const dataColumns = new Map([...columns].filter(([k]) => !pNames.has(k)))
  const fileFields = [...(target.materializePartitionColumns ? target.schema.fields : dataFields), ...(target.hiddenFields ?? [])]
  const noStats = new Set([...pNames, ...(target.hiddenFields ?? []).map((f) => f.name)])
  const rowsPerFile = Math.max(1, Math.floor(targetSize / Math.max(1, estimateRowBytes(dataColumns, numRows))))
  const now = nowOf(options.now)

  const adds: AddFile[] = []
  let bytesOut = 0
  let fileIndex = 0
  // the Parquet writer loads on the first write, not at import; hyparquet-writer only for nested columns (issue 15)
  // Large writes compress their pages on a worker thread where there is one (compress-offload.ts).
  const pool = await writeCompressionPool(estimateRowBytes(dataColumns, numRows) * numRows, codec)
  const [{ writeParquet }] = await Promise.all([loadWriter(fileFields, pool), loadCompressor(codec)])
  for (const group of groupByPartition(columns, numRows, pFields, target.mode)) {
    for (const [start, end] of chunkRanges(group.numRows, rowsPerFile)) {
      const n = end - start
      const fileColumns: DataColumn[] = []
      const statsColumns = new Map<string, ColumnValues>()
      for (const f of fileFields) {
        const values = columns.get(f.name)
        // A nullable column the input lacks is written as nulls (readers would fill them anyway,
        // but Spark writes every schema column and other readers expect them).
        const v = values ? gather(values, group.rows, start, end) : nullColumn(n)
        fileColumns.push({ field: f, values: v })
        // No stats for partition columns: add.partitionValues already says it (the RFC).
        if (!noStats.has(f.name)) statsColumns.set(f.name, v)
      }
      const written = writeParquet(fileColumns, n, { mode: target.mode, codec, rowGroupSize: options.rowGroupSize })
      // While a worker compresses the pages, this thread computes the stats (its failure is seen at the await).
      if (written instanceof Promise) written.catch(() => {})
      const stats = fileStatsJson(dataFields, statsColumns, n, { mode: target.mode, selected, tightBounds: target.tightBounds })
      const bytes = await written
      const name = dataFileName(fileIndex++, suffix)
      const key = group.dir ? `${group.dir}/${name}` : name
      try {
        await target.store.put(key, bytes, { durable: 'deferred' }) // flushed by the commit that names it
      } catch (e) {
        throw new StorageError(`cannot write data file ${key} of table ${target.table}: ${(e as Error).message}`, { table: target.table, file: key, cause: e })
      }
      bytesOut += bytes.byteLength
      adds.push({
        path: logPathOf(key),
        partitionValues: group.partitionValues,
        size: bytes.byteLength,
        modificationTime: now,
        dataChange: true,
        stats,
      })
    }
  }
  return { adds, numOutputRows: numRows, numOutputBytes: bytesOut }
}
