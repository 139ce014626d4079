// The write side shared by MERGE, UPDATE and DELETE: per touched target file, mark its newly deleted
// rows in a deletion vector (merge-on-read, when the table has DVs on) or rewrite its surviving rows
// (copy-on-write); buffer new rows and change rows; then one atomic commit through the Transaction
// with the files and predicate the plan read (conflict rules). Checkpoints: table/post-commit.ts.
import type { AddFile, Metadata, Protocol, RemoveFile } from '../log/actions.js'
import type { Snapshot } from '../log/snapshot.js'
import { columnMappingMode, type StructType } from '../schema/types.js'
import type { DeltaValue } from '../schema/values.js'
import type { DeletionVector } from '../scan/deletion-vectors.js'
import { Transaction, type PlanReads } from '../txn/transaction.js'
import type { WriteFilesOptions } from '../write/data-files.js'
import { removeOf, stampRowTracking } from '../write/operations.js'
import { materializesPartitionColumns, rowTrackingActive } from '../write/features.js'
import { materializedFields, readStableRowTracking, rowTrackingEnabled, type StableRowTracking } from '../scan/row-tracking.js'
import { clusteringFields } from '../write/clustering.js'
import { DeletionVectorWriter } from './dv-writer.js'
import { unionRows } from './file-read.js'
import { RowSink, type ChangeType } from './row-sink.js'
import type { IsolationLevel } from '../txn/isolation.js'

export interface DmlWriterOptions {
  /** Schema of written rows (the table's, or the evolved one). */
  schema?: StructType
  metadata?: Metadata
  protocol?: Protocol
  write?: WriteFilesOptions
  flushRows?: number
  /** Force copy-on-write even when deletion vectors are enabled. */
  copyOnWrite?: boolean
}

/** Whether row-level deletes may use deletion vectors (protocol feature and table property). */
export function deletionVectorsEnabled(snapshot: Snapshot): boolean {
  const p = snapshot.protocol
  return p.minWriterVersion >= 7 && (p.writerFeatures ?? []).includes('deletionVectors') && snapshot.properties['delta.enableDeletionVectors'] === 'true'
}

export function changeDataFeedEnabled(configuration: Record<string, string>): boolean {
  return configuration['delta.enableChangeDataFeed'] === 'true'
}

export class DmlWriter {
  readonly dvMode: boolean
  readonly cdf: boolean
  readonly schema: StructType
  readonly sink: RowSink
  private readonly dvs: DeletionVectorWriter
  private readonly removes: RemoveFile[] = []
  readonly now = Date.now()
  filesRemoved = 0
  bytesRemoved = 0
  rowsCopied = 0
  dvsAdded = 0
  dvsUpdated = 0
  dvsRemoved = 0
  /** Files removed whole (a partition-covering DELETE) whose rows still need `delete` change rows. */
  private readonly wholeRemoved: AddFile[] = []
  /** New files get fresh row ids and commit versions (row tracking supported, not suspended). */
  readonly rowIds: boolean
  /**
   * Copied and updated rows keep their stable row id (and copied rows their commit version) in the
   * materialized columns (row tracking enabled; PROTOCOL.md "Writer Requirements for Row Tracking").
   */
  readonly preserveRowIds: boolean
  private stableCache?: { path: string; value: Promise<StableRowTracking> }

  constructor(readonly snapshot: Snapshot, readonly opts: DmlWriterOptions = {}) {
    const configuration = (opts.metadata ?? snapshot.metadata).configuration
    this.schema = opts.schema ?? snapshot.schema
    this.dvMode = !opts.copyOnWrite && deletionVectorsEnabled(snapshot)
    this.cdf = changeDataFeedEnabled(configuration)
    this.dvs = new DeletionVectorWriter(snapshot.store, snapshot.tableUrl, this.now)
    const p = opts.protocol ?? snapshot.protocol
    this.rowIds = rowTrackingActive(p, configuration)
    this.preserveRowIds = this.rowIds && rowTrackingEnabled({ properties: configuration })
    const hiddenFields = this.preserveRowIds ? materializedFields(configuration) : undefined
    this.sink = new RowSink({
      target: {
        store: snapshot.store, table: snapshot.tableUrl, schema: this.schema,
        partitionColumns: (opts.metadata ?? snapshot.metadata).partitionColumns, configuration,
        mode: columnMappingMode(configuration),
        tightBounds: p.minWriterVersion >= 7 && (p.writerFeatures ?? []).includes('deletionVectors'),
        materializePartitionColumns: materializesPartitionColumns(p, configuration),
        ...(hiddenFields ? { hiddenFields } : {}),
        statsAlways: clusteringFields(snapshot).map((f) => f.name),
      },
      configuration, cdf: this.cdf, write: opts.write, flushRows: opts.flushRows,
    })
  }

  /** The output fields' columns of `cols` (absent columns, e.g. added by mergeSchema, as nulls). */
  outputColumns(cols: Map<string, ArrayLike<DeltaValue>>, numRows: number): ArrayLike<DeltaValue>[] {
    return this.schema.fields.map((f) => cols.get(f.name) ?? new Array<DeltaValue>(numRows).fill(null))
  }

  /** Stable row ids and commit versions of a target file's physical rows (the last file asked is cached). */
  stableRowTracking(add: AddFile): Promise<StableRowTracking> {
    if (this.stableCache?.path !== add.path) this.stableCache = { path: add.path, value: readStableRowTracking(this.snapshot, add) }
    return this.stableCache.value
  }

  /**
   * Updated rows of `add` (its physical `rows`, post-images in `values`): with row ids preserved,
   * each keeps its stable row id; its commit version is the new one (null: the file's default).
   */
  async updatedRows(add: AddFile, values: ArrayLike<DeltaValue>[], rows: ArrayLike<number>): Promise<ArrayLike<DeltaValue>[]> {
    if (!this.preserveRowIds) return values
    const { ids } = await this.stableRowTracking(add)
    const out = new Array<DeltaValue>(rows.length)
    for (let i = 0; i < rows.length; i++) out[i] = ids[rows[i]]
    return [...values, out, new Array<DeltaValue>(rows.length).fill(null)]
  }

  /** Change rows of existing target rows (pre-images, deletes) gathered from the file's columns. */
  async targetChanges(type: ChangeType, cols: Map<string, ArrayLike<DeltaValue>>, numRows: number, rows: ArrayLike<number>): Promise<void> {
    if (!this.cdf || rows.length === 0) return
    await this.sink.addChanges(type, this.outputColumns(cols, numRows), rows.length, rows)
  }

  /**
   * Apply the newly deleted rows of one file. DV mode: the new DV is the old one ∪ `deleted`, the
   * file is removed and re-added with it (same path, PROTOCOL.md "Deletion Vectors"), or removed
   * when no row survives. Copy-on-write: `full` (every column of every row) minus the deleted rows
   * is written to new files and the file is removed.
   */
  async applyFile(add: AddFile, oldDv: DeletionVector, deleted: number[], numRows: number, full?: Map<string, ArrayLike<DeltaValue>>): Promise<void> {
    if (deleted.length === 0) return
    const all = unionRows(oldDv.rows, deleted)
    this.removes.push(removeOf(add, this.now))
    this.bytesRemoved += add.size
    if (all.length >= numRows) {
      this.filesRemoved++
      if (add.deletionVector) this.dvsRemoved++
      return
    }
    if (this.dvMode) {
      this.dvs.add(add, all, numRows)
      if (add.deletionVector) this.dvsUpdated++
      else this.dvsAdded++
      return
    }
    this.filesRemoved++
    if (add.deletionVector) this.dvsRemoved++
    if (!full) throw new Error(`internal: copy-on-write of ${add.path} without its rows`)
    const keep: number[] = []
    let d = 0
    for (let i = 0; i < numRows; i++) {
      while (d < all.length && all[d] < i) d++
      if (d < all.length && all[d] === i) continue
      keep.push(i)
    }
    this.rowsCopied += keep.length
    const columns = this.outputColumns(full, numRows)
    if (this.preserveRowIds) {
      // copied rows keep both their stable row id and their commit version
      const s = await this.stableRowTracking(add)
      columns.push(s.ids, s.versions)
    }
    await this.sink.addRows(columns, keep.length, keep)
  }

  /** Remove a file whose every row goes (a partition-covering DELETE): no DV, no rewrite. */
  removeWhole(add: AddFile): void {
    this.removes.push(removeOf(add, this.now))
    this.bytesRemoved += add.size
    this.filesRemoved++
    if (add.deletionVector) this.dvsRemoved++
    this.wholeRemoved.push(add)
  }

  get changed(): boolean { return this.removes.length > 0 || this.sink.pending }

  /** Write buffered rows and the DV file; commit; returns the version. */
  async commit(args: {
    operation: string
    parameters: Record<string, unknown>
    read: PlanReads
    metrics: () => Record<string, number>
    isolationLevel?: IsolationLevel
    txn?: { appId: string; version: number }
    /** Emit `delete` change rows for whole-file removals (they are invisible to CDF readers once the commit has cdc files). */
    wholeFileChanges?: (add: AddFile) => Promise<void>
  }): Promise<{ version: number; metrics: Record<string, number> }> {
    if (this.cdf && args.wholeFileChanges && this.wholeRemoved.length && this.sink.hasChanges) {
      for (const a of this.wholeRemoved) await args.wholeFileChanges(a)
    }
    // The new rows' files and the DV file are independent writes: issued together, their storage
    // latency (a fsync each on a local disk) overlaps. A failure of either fails the commit before
    // anything is committed (the other file is an orphan at most); the sink's error is reported first.
    const sinkDone = this.sink.finish()
    const dvsDone = this.dvs.finish()
    const [sinkResult, dvResult] = await Promise.allSettled([sinkDone, dvsDone])
    if (sinkResult.status === 'rejected') throw sinkResult.reason
    if (dvResult.status === 'rejected') throw dvResult.reason
    const readded = dvResult.value
    const txn = Transaction.on(this.snapshot, {
      operation: args.operation, operationParameters: args.parameters, read: args.read, isolationLevel: args.isolationLevel,
    })
    const configuration = (this.opts.metadata ?? this.snapshot.metadata).configuration
    stampRowTracking(this.snapshot, this.opts.protocol ?? this.snapshot.protocol, configuration, this.sink.adds, txn)
    if (this.opts.protocol) txn.setProtocol(this.opts.protocol)
    if (this.opts.metadata) txn.setMetadata(this.opts.metadata)
    if (args.txn) txn.setTxn(args.txn.appId, args.txn.version)
    txn.removeFiles(this.removes).addFiles(readded).addFiles(this.sink.adds).addCdcFiles(this.sink.cdcs)
    txn.metrics = args.metrics()
    const r = await txn.commit()
    return { version: r.version, metrics: txn.metrics }
  }

  /** Metadata the commit writes (e.g. identity columns' advanced high water marks); call before commit. */
  setMetadata(metadata: Metadata): void {
    this.opts.metadata = metadata
  }

  get filesAdded(): number { return this.sink.adds.length }
  get changeFilesAdded(): number { return this.sink.cdcs.length }
}

