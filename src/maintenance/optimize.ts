// OPTIMIZE: rewrite a table's files without changing its rows. Bin-packing compacts the small files
// of each partition into files near the target size and purges deletion vectors that mark a large
// share of a file's rows (the rows they delete are dropped); Z-order sorts each partition's rows by
// interleaved column ranks so stats skipping works on every Z-order column. Adds and removes carry
// `dataChange: false` (streaming and CDF readers ignore the commit); a concurrent writer that removed
// one of our input files wins, and OPTIMIZE gives up with the conflict (its new files are deleted).
import { CommitConflictError, InvalidArgumentError, SchemaMismatchError } from '../errors.js'
import { bindPredicate, type ExprLike } from '../expr/bind.js'
import { exprToSql } from '../expr/print.js'
import type { Expr } from '../expr/ast.js'
import type { AddFile, RemoveFile } from '../log/actions.js'
import type { Snapshot } from '../log/snapshot.js'
import { isPartitionOnly, selectFiles, type SnapshotInfo } from '../scan/file-skipping.js'
import { readFileValues } from '../scan/scan.js'
import { findField, isPrimitive, type StructField, type StructType } from '../schema/types.js'
import { keyPath, pathKey } from '../schema/column-path.js'
import type { DeltaValue } from '../schema/values.js'
import { Transaction } from '../txn/transaction.js'
import { writeDataFiles, type DataFilesTarget } from '../write/data-files.js'
import { checkWriteSupport, materializesPartitionColumns, rowTrackingActive } from '../write/features.js'
import { stampRowTracking } from '../write/operations.js'
import { materializedFields, rowTrackingEnabled } from '../scan/row-tracking.js'
import { loadSnapshot } from '../log/snapshot.js'
import { CLUSTERING_PROVIDER, clusteringFields, isClustered } from '../write/clustering.js'
import { DEFAULT_TARGET_FILE_SIZE } from '../write/partition.js'
import { statsColumnSelection } from '../write/stats.js'
import { nowOf, type Clock } from './common.js'
import { zOrderPermutation } from './zorder.js'
import { optionKeys } from '../options.js'

/** Options of `DeltaTable.optimize`: compaction (bin-packing) or Z-order, optionally on a partition subset. */
export interface OptimizeOptions {
  /** Only files of partitions matching this predicate (partition columns only, as Delta requires). */
  where?: ExprLike
  /** Bytes per output file (default `delta.targetFileSize`, else 128 MiB); smaller files are compacted. */
  targetFileSize?: number
  /** Z-order the rows of each selected partition by these (non-partition) columns. */
  zOrderBy?: string[]
  /** Commit every time this many input bytes are rewritten (default: one commit at the end). */
  minCommitSize?: number
  /** Rewrite a file whose deletion vector marks more than this share of its rows (default 0.05, Spark's). */
  maxDeletedRowsRatio?: number
  /**
   * Most rows per compacted file (default 1,000,000): a bin is read into memory before it is written,
   * so this bounds memory whatever the target size. Z-order reads each selected partition whole.
   */
  maxRowsPerFile?: number
  /** Rows per Parquet row group of the new files. */
  rowGroupSize?: number
  now?: Clock
}
export const OPTIMIZE_OPTION_KEYS = optionKeys<OptimizeOptions>()(['where', 'targetFileSize', 'zOrderBy', 'minCommitSize', 'maxDeletedRowsRatio', 'maxRowsPerFile', 'rowGroupSize', 'now'])

/** What `optimize` committed (versions: one per commit when `minCommitSize` splits the work). */
export interface OptimizeResult {
  /** The last version committed (the snapshot's version when there was nothing to do). */
  version: number
  /** Every version committed (several with `minCommitSize`). */
  versions: number[]
  metrics: Record<string, number>
}

interface Bin {
  partition: Record<string, string | null>
  files: AddFile[]
  bytes: number
}

export const DEFAULT_MAX_ROWS_PER_FILE = 1_000_000

function partitionKey(values: Record<string, string | null>): string {
  return JSON.stringify(Object.keys(values).sort().map((k) => [k, values[k]]))
}

function numRecords(a: AddFile): number | undefined {
  if (!a.stats) return undefined
  try {
    const n = JSON.parse(a.stats).numRecords
    return typeof n === 'number' ? n : undefined
  } catch {
    return undefined
  }
}

/** Share of the file's rows its deletion vector deletes (0 without a DV; 1 when unknown but non-empty and huge). */
function deletedRatio(a: AddFile): number {
  const dv = a.deletionVector
  if (!dv || dv.cardinality === 0) return 0
  const n = numRecords(a)
  return n === undefined || n === 0 ? 1 : dv.cardinality / n
}

function targetSizeOf(snapshot: Snapshot, opts: OptimizeOptions): number {
  const table = snapshot.tableUrl
  if (opts.targetFileSize !== undefined) {
    if (!Number.isFinite(opts.targetFileSize) || opts.targetFileSize <= 0) {
      throw new InvalidArgumentError(`optimize targetFileSize must be a positive number of bytes, got ${opts.targetFileSize} (table ${table})`, { table })
    }
    return opts.targetFileSize
  }
  const configured = Number.parseInt(snapshot.properties['delta.targetFileSize'] ?? '', 10)
  return Number.isFinite(configured) && configured > 0 ? configured : DEFAULT_TARGET_FILE_SIZE
}

/**
 * Bin-packing plan of one partition: candidates are files below the target size or whose DV
 * deletes more than `ratio` of their rows; they fill bins in size order up to the target. A bin
 * of one file is rewritten only to purge its DV.
 */
export function planCompaction(files: AddFile[], target: number, ratio: number, maxRows = DEFAULT_MAX_ROWS_PER_FILE): AddFile[][] {
  const live = (a: AddFile) => a.size * (1 - Math.min(1, deletedRatio(a)))
  const liveRows = (a: AddFile) => Math.max(0, (numRecords(a) ?? 0) - (a.deletionVector?.cardinality ?? 0))
  const candidates = files.filter((a) => a.size < target || deletedRatio(a) > ratio).sort((a, b) => live(a) - live(b) || (a.path < b.path ? -1 : 1))
  const bins: AddFile[][] = []
  let current: AddFile[] = []
  let size = 0
  let rows = 0
  for (const a of candidates) {
    const s = live(a)
    const n = liveRows(a)
    if (current.length > 0 && (size + s > target || rows + n > maxRows)) { bins.push(current); current = []; size = 0; rows = 0 }
    current.push(a)
    size += s
    rows += n
  }
  if (current.length) bins.push(current)
  return bins.filter((b) => b.length > 1 || deletedRatio(b[0]) > ratio)
}

/**
 * The rows of `files` (DVs applied) as columns of `fields`, and where each file's rows start. The
 * columns are allocated once from the files' stats (numRecords minus DV cardinality): growing them
 * value by value cost more in garbage collection than decoding the Parquet pages.
 */
/** The fields a bin's rows are read with, and readFileValues' options (row tracking's stable values). */
interface ReadSpec {
  fields: StructField[]
  options: Parameters<typeof readFileValues>[5]
}

async function readBin(snapshot: Snapshot, files: AddFile[], spec: ReadSpec): Promise<{ columns: Map<string, DeltaValue[]>; numRows: number; offsets: number[] }> {
  const fields = spec.fields
  let expected = 0
  for (const a of files) {
    const n = numRecords(a)
    if (n === undefined) { expected = 0; break }
    expected += Math.max(0, n - (a.deletionVector?.cardinality ?? 0))
  }
  const arrays = fields.map(() => new Array<DeltaValue>(expected))
  let numRows = 0
  const offsets: number[] = []
  for (const a of files) {
    offsets.push(numRows)
    for await (const b of readFileValues(snapshot, a, fields, undefined, 1 << 30, spec.options)) {
      for (let j = 0; j < arrays.length; j++) {
        const out = arrays[j]
        const src = b.columns[j]
        for (let i = 0; i < b.length; i++) out[numRows + i] = src[i]
      }
      numRows += b.length
    }
  }
  // Stats that overstated the rows leave holes at the end: trim them.
  for (const out of arrays) if (out.length !== numRows) out.length = numRows
  return { columns: new Map(fields.map((f, j) => [f.name, arrays[j]])), numRows, offsets }
}

type ChunkWriter = (columns: Map<string, DeltaValue[]>, numRows: number) => Promise<void>

/**
 * Z-order one partition's files into `ceil(size / target)` files (at most `maxRows` rows each). Two
 * passes bound memory by one output file: the first reads only the Z-order columns and sorts the
 * rows by key; the second builds each output file from the input rows whose sorted position falls
 * in it (re-reading only the input files that hold such rows).
 */
async function zOrderBin(snapshot: Snapshot, files: AddFile[], spec: ReadSpec, zFields: StructField[], target: number, maxRows: number, write: ChunkWriter): Promise<void> {
  const fields = spec.fields
  const z = await readBin(snapshot, files, { fields: zFields, options: {} })
  const n = z.numRows
  if (n === 0) return
  const perm = zOrderPermutation(zFields.map((f) => z.columns.get(f.name)!), zFields.map((f) => f.type), n)
  z.columns.clear()
  const live = files.reduce((s, a) => s + a.size * (1 - Math.min(1, deletedRatio(a))), 0)
  const chunks = Math.max(1, Math.min(n, Math.ceil(live / target)), Math.ceil(n / maxRows))
  if (chunks === 1) {
    const all = await readBin(snapshot, files, spec)
    return write(permute(all.columns, perm), n)
  }
  const per = Math.ceil(n / chunks)
  const pos = new Int32Array(n)
  for (let p = 0; p < n; p++) pos[perm[p]] = p
  const ends = [...z.offsets.slice(1), n]
  const touches = files.map((_, i) => {
    const set = new Set<number>()
    for (let g = z.offsets[i]; g < ends[i]; g++) set.add(Math.floor(pos[g] / per))
    return set
  })
  for (let c = 0; c * per < n; c++) {
    const lo = c * per
    const hi = Math.min(n, lo + per)
    const out = fields.map(() => new Array<DeltaValue>(hi - lo))
    for (let i = 0; i < files.length; i++) {
      if (!touches[i].has(c)) continue
      let g = z.offsets[i]
      for await (const b of readFileValues(snapshot, files[i], fields, undefined, 1 << 30, spec.options)) {
        for (let r = 0; r < b.length; r++, g++) {
          const p = pos[g]
          if (p < lo || p >= hi) continue
          for (let j = 0; j < out.length; j++) out[j][p - lo] = b.columns[j][r]
        }
      }
    }
    await write(new Map(fields.map((f, j) => [f.name, out[j]])), hi - lo)
  }
}

function permute(columns: Map<string, DeltaValue[]>, perm: Int32Array): Map<string, DeltaValue[]> {
  const out = new Map<string, DeltaValue[]>()
  for (const [k, v] of columns) {
    const p = new Array<DeltaValue>(v.length)
    for (let i = 0; i < perm.length; i++) p[i] = v[perm[i]]
    out.set(k, p)
  }
  return out
}

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1) + 0.5))]
}

/** Remove action of an input file: a rearrangement, so `dataChange: false`; keeps the DV (file key). */
function removeOf(a: AddFile, now: number): RemoveFile {
  const r: RemoveFile = { path: a.path, deletionTimestamp: now, dataChange: false, extendedFileMetadata: true, partitionValues: a.partitionValues, size: a.size }
  if (a.stats) r.stats = a.stats
  if (a.tags) r.tags = a.tags
  if (a.deletionVector) r.deletionVector = a.deletionVector
  // PROTOCOL.md "Writer Requirements for Row Tracking": removes carry the add's row tracking fields
  if (a.baseRowId !== undefined && a.baseRowId !== null) r.baseRowId = a.baseRowId
  if (a.defaultRowCommitVersion !== undefined && a.defaultRowCommitVersion !== null) r.defaultRowCommitVersion = a.defaultRowCommitVersion
  return r
}

/** Compact (or Z-order) the table of `snapshot`; returns the versions committed and Spark's metrics. */
export async function optimize(snapshot: Snapshot, opts: OptimizeOptions = {}): Promise<OptimizeResult> {
  const table = snapshot.tableUrl
  // Identity columns constrain only inserts; OPTIMIZE copies rows with their values.
  checkWriteSupport(snapshot.protocol, snapshot.schema, snapshot.properties, table, snapshot.version, ['identityColumns', 'rowTracking'])
  const target = targetSizeOf(snapshot, opts)
  const ratio = opts.maxDeletedRowsRatio ?? 0.05
  const info: SnapshotInfo = { schema: snapshot.schema, partitionColumns: snapshot.partitionColumns, configuration: snapshot.properties }
  const partitionSet = new Set(snapshot.partitionColumns.map((c) => c.toLowerCase()))

  let files = snapshot.activeFiles()
  let predicateSql: string[] = []
  if (opts.where !== undefined && opts.where !== null) {
    const bound = bindPredicate(opts.where, snapshot.schema, { what: 'optimize where', table })
    if (!isPartitionOnly(bound, snapshot.partitionColumns)) {
      throw new InvalidArgumentError(`optimize where ${typeof opts.where === 'string' ? opts.where : exprToSql(opts.where as Expr)} must use partition columns only (${snapshot.partitionColumns.join(', ') || 'the table is not partitioned'}) (table ${table})`, { table })
    }
    files = selectFiles(files, info, bound)
    predicateSql = [typeof opts.where === 'string' ? opts.where : exprToSql(opts.where as Expr)]
  }

  // A clustered table is Z-ordered by its clustering columns, over the files no other clustering
  // implementation owns (PROTOCOL.md "Writer Requirements for Clustered Table").
  const clustered = isClustered(snapshot.protocol)
  const clusterBy = clustered ? clusteringFields(snapshot) : []
  if (clustered && opts.zOrderBy?.length) {
    throw new InvalidArgumentError(`table ${table} is clustered${clusterBy.length ? ` by ${clusterBy.map((f) => f.name).join(', ')}` : ''}: OPTIMIZE clusters it by those columns, zOrderBy does not apply`, { table })
  }
  if (clustered) {
    files = files.filter((a) => a.clusteringProvider === undefined || a.clusteringProvider === null || a.clusteringProvider === CLUSTERING_PROVIDER)
    // nothing new to cluster: every eligible file is already ours
    if (clusterBy.length && files.every((a) => a.clusteringProvider === CLUSTERING_PROVIDER)) files = []
  }
  const zFields = (clusterBy.length ? clusterBy.map((f) => f.name) : (opts.zOrderBy ?? [])).map((c) => {
    const f = findField(snapshot.schema, c) ?? topField(snapshot.schema, c)
    if (!f) throw new SchemaMismatchError(`zOrderBy column ${c} is not in the schema of table ${table}`, { table, column: c })
    if (partitionSet.has(f.name.toLowerCase())) throw new InvalidArgumentError(`zOrderBy column ${c} is a partition column of table ${table}: partitions are already clustered`, { table, column: c })
    if (!isPrimitive(f.type) || f.type === 'variant' || f.type === 'void') throw new InvalidArgumentError(`zOrderBy column ${c} must have a primitive type (table ${table})`, { table, column: c })
    return f
  })
  if (zFields.length && !clusterBy.length) {
    // Z-ordering helps only through min/max stats: refuse columns the table collects none for (as Delta does).
    const dataSchema = { type: 'struct' as const, fields: snapshot.schema.fields.filter((f) => !partitionSet.has(f.name.toLowerCase())) }
    const selected = statsColumnSelection(dataSchema, snapshot.properties)
    const missing = zFields.filter((f) => !selected.has(pathKey([f.name])))
    if (missing.length) {
      throw new InvalidArgumentError(
        `Z-ordering table ${table} on ${missing.map((f) => f.name).join(', ')} would be ineffective: no statistics are collected for ${missing.length === 1 ? 'it' : 'them'} ` +
        '(see delta.dataSkippingNumIndexedCols / delta.dataSkippingStatsColumns)', { table, column: missing[0].name })
    }
  }

  // Plan: bins per partition.
  const byPartition = new Map<string, AddFile[]>()
  for (const a of files) {
    const k = partitionKey(a.partitionValues ?? {})
    const list = byPartition.get(k)
    if (list) list.push(a)
    else byPartition.set(k, [a])
  }
  const bins: Bin[] = []
  for (const group of byPartition.values()) {
    const planned = zFields.length ? [group] : planCompaction(group, target, ratio, opts.maxRowsPerFile)
    for (const b of planned) bins.push({ partition: b[0].partitionValues ?? {}, files: b, bytes: b.reduce((n, a) => n + a.size, 0) })
  }

  // Row tracking: new files get fresh row ids; with it enabled, each row keeps its stable row id
  // and commit version in the materialized columns (PROTOCOL.md "Row Tracking": a copy preserves both).
  const rowIds = rowTrackingActive(snapshot.protocol, snapshot.properties)
  const hidden = rowIds && rowTrackingEnabled(snapshot) ? materializedFields(snapshot.properties) : undefined
  const read: ReadSpec = {
    fields: [...snapshot.schema.fields.filter((f) => f.type !== 'void'), ...(hidden ?? [])],
    options: hidden ? { rowTracking: { id: hidden[0].name, version: hidden[1].name } } : {},
  }
  let base = snapshot
  const dataTarget: DataFilesTarget = {
    store: snapshot.store, table, schema: snapshot.schema, partitionColumns: snapshot.partitionColumns,
    configuration: snapshot.properties, mode: snapshot.columnMappingMode,
    tightBounds: (snapshot.protocol.writerFeatures ?? []).includes('deletionVectors'),
    materializePartitionColumns: materializesPartitionColumns(snapshot.protocol, snapshot.properties),
    ...(hidden ? { hiddenFields: hidden } : {}),
    statsAlways: clusterBy.map((f) => f.name),
  }
  const params = { predicate: predicateSql, zOrderBy: zFields.map((f) => f.name), auto: false }
  const totals = { numFilesAdded: 0, numFilesRemoved: 0, numAddedBytes: 0, numRemovedBytes: 0, numDeletionVectorsRemoved: 0, numDeletionVectorRowsRemoved: 0 }
  const versions: number[] = []
  const addedSizes: number[] = []

  let pendingAdds: AddFile[] = []
  let pendingRemoves: RemoveFile[] = []
  let pendingBytes = 0
  const commit = async (): Promise<void> => {
    if (pendingRemoves.length === 0) return
    const adds = pendingAdds
    const removes = pendingRemoves
    pendingAdds = []
    pendingRemoves = []
    pendingBytes = 0
    // Every batch plans against the snapshot's version: the commit loop checks all winners since,
    // our own earlier batches included, so a file another writer removed meanwhile is never lost.
    // With row ids assigned, each batch plans its ids on the version the previous one made.
    const txn = Transaction.on(base, {
      operation: 'OPTIMIZE', operationParameters: params,
      read: { files: removes.map((r) => r.path) }, now: () => nowOf(opts.now),
    })
    stampRowTracking(base, base.protocol, base.properties, adds, txn)
    txn.removeFiles(removes).addFiles(adds)
    const sizes = adds.map((a) => a.size).sort((x, y) => x - y)
    const removedSizes = removes.map((r) => r.size ?? 0).sort((x, y) => x - y)
    txn.metrics = {
      numRemovedFiles: removes.length, numRemovedBytes: removedSizes.reduce((n, s) => n + s, 0),
      numAddedFiles: adds.length, numAddedBytes: sizes.reduce((n, s) => n + s, 0),
      minFileSize: sizes[0] ?? 0, p25FileSize: percentile(sizes, 0.25), p50FileSize: percentile(sizes, 0.5),
      p75FileSize: percentile(sizes, 0.75), maxFileSize: sizes[sizes.length - 1] ?? 0,
      numDeletionVectorsRemoved: removes.filter((r) => r.deletionVector).length,
    }
    try {
      const r = await txn.commit()
      versions.push(r.version)
      if (rowIds) base = await loadSnapshot(snapshot.store, { version: r.version })
    } catch (e) {
      // The winner's data stands; our rewritten copies would only be orphans.
      if (e instanceof CommitConflictError) await Promise.all(adds.map((a) => snapshot.store.delete(snapshot.resolvePath(a.path)).catch(() => {})))
      throw e
    }
  }

  const maxRows = opts.maxRowsPerFile ?? DEFAULT_MAX_ROWS_PER_FILE
  for (const bin of bins) {
    const now = nowOf(opts.now)
    const adds: AddFile[] = []
    const write: ChunkWriter = async (columns, numRows) => {
      if (numRows === 0) return
      const w = await writeDataFiles(dataTarget, columns, numRows, { targetFileSize: Number.MAX_SAFE_INTEGER, rowGroupSize: opts.rowGroupSize, now: () => now })
      adds.push(...w.adds)
    }
    if (zFields.length) await zOrderBin(snapshot, bin.files, read, zFields, target, maxRows, write)
    else {
      const got = await readBin(snapshot, bin.files, read)
      await write(got.columns, got.numRows)
    }
    for (const a of adds) {
      a.dataChange = false
      if (clusterBy.length) a.clusteringProvider = CLUSTERING_PROVIDER
      addedSizes.push(a.size)
    }
    pendingAdds.push(...adds)
    pendingRemoves.push(...bin.files.map((a) => removeOf(a, now)))
    totals.numFilesAdded += adds.length
    totals.numFilesRemoved += bin.files.length
    totals.numAddedBytes += adds.reduce((n, a) => n + a.size, 0)
    totals.numRemovedBytes += bin.bytes
    for (const a of bin.files) {
      if (a.deletionVector) { totals.numDeletionVectorsRemoved++; totals.numDeletionVectorRowsRemoved += a.deletionVector.cardinality }
    }
    pendingBytes += bin.bytes
    if (opts.minCommitSize !== undefined && pendingBytes >= opts.minCommitSize) await commit()
  }
  await commit()
  addedSizes.sort((x, y) => x - y)
  const metrics = {
    ...totals, numBins: bins.length, numPartitionsOptimized: new Set(bins.map((b) => partitionKey(b.partition))).size,
    minFileSize: addedSizes[0] ?? 0, maxFileSize: addedSizes[addedSizes.length - 1] ?? 0, numBatches: versions.length,
  }
  return { version: versions.length ? versions[versions.length - 1] : snapshot.version, versions, metrics }
}

/** A top-level field named by a one-name path (`` `id.num` ``), or undefined. */
function topField(schema: StructType, path: string): StructField | undefined {
  let names: string[]
  try { names = keyPath(path) } catch { return undefined }
  return names.length === 1 ? findField(schema, names[0]!) : undefined
}
