// Change Data Feed reads (PROTOCOL.md "Add CDC File", "Reader Requirements for AddCDCFile"): per
// commit, the `cdc` files when it has any, else its data-changing add/remove actions as inserts and
// deletes (a re-added file whose DV changed contributes only the rows the DV change touched), plus
// `_commit_version` and `_commit_timestamp`.
import { InvalidArgumentError, UnsupportedFeatureError, VersionNotFoundError } from '../errors.js'
import type { AddCDCFile, AddFile, CommitInfo, Metadata, RemoveFile } from '../log/actions.js'
import type { LogPath } from '../log/log-path.js'
import { listLog } from '../log/log-segment.js'
import { inCommitTimestampsEnabled, loadSnapshot, readCommits, type Snapshot } from '../log/snapshot.js'
import type { StructField } from '../schema/types.js'
import type { DeltaValue } from '../schema/values.js'
import { DeletionVector, readDeletionVector } from './deletion-vectors.js'
import { outputFields, readFileValues, type ValueBatch } from './scan.js'
import { optionKeys } from '../options.js'
import { arrowModule } from '../schema/arrow-lazy.js'
import type { RecordBatch, Table } from 'apache-arrow'

/** Options of `DeltaTable.changes`: the version range of the change data feed to read. */
export interface ChangesOptions {
  startVersion: number
  /** Inclusive; default: the snapshot's version. */
  endVersion?: number
  /** Top-level data columns (default all); the three CDF columns are always added. */
  columns?: string[]
  batchRows?: number
}
export const CHANGES_OPTION_KEYS = optionKeys<ChangesOptions>()(['startVersion', 'endVersion', 'columns', 'batchRows'])

/** The change data feed as fields and a stream of value batches. */
export interface ChangesResult {
  fields: StructField[]
  batches: AsyncGenerator<ValueBatch>
}

const CHANGE_TYPE: StructField = { name: '_change_type', type: 'string', nullable: false, metadata: {} }
const COMMIT_VERSION: StructField = { name: '_commit_version', type: 'long', nullable: false, metadata: {} }
const COMMIT_TIMESTAMP: StructField = { name: '_commit_timestamp', type: 'timestamp', nullable: false, metadata: {} }

/**
 * The changes of versions [startVersion, endVersion], read with the schema of `snapshot` (taken at
 * endVersion when `snapshot` is newer). Throws when a version in the range lacks CDF.
 */
export async function readChanges(snapshot: Snapshot, options: ChangesOptions): Promise<ChangesResult> {
  const table = snapshot.tableUrl
  const start = options.startVersion
  if (!Number.isSafeInteger(start) || start < 0) throw new InvalidArgumentError(`startVersion must be a non-negative integer, got ${start} (table ${table})`, { table })
  const end = options.endVersion ?? snapshot.version
  if (!Number.isSafeInteger(end) || end < start) throw new InvalidArgumentError(`endVersion ${end} must be an integer ≥ startVersion ${start} (table ${table})`, { table })
  const endSnap = end === snapshot.version ? snapshot : await loadSnapshot(snapshot.store, { version: end, table })
  const dataFields = outputFields(endSnap.schema, options.columns, table)
  const fields = [...dataFields, CHANGE_TYPE, COMMIT_VERSION, COMMIT_TIMESTAMP]

  const listing = await listLog(snapshot.store, start)
  const files: LogPath[] = []
  for (let v = start; v <= end; v++) {
    const f = listing.commits.get(v)
    if (!f) throw new VersionNotFoundError(`commit ${v} of table ${table} is no longer in the log; change data for versions ${start}–${end} cannot be read`, { table, version: v })
    files.push(f)
  }
  // CDF must be on at every version of the range: start from the metadata in force at startVersion
  let metadata: Metadata = start === endSnap.version ? endSnap.metadata : (await loadSnapshot(snapshot.store, { version: start, table })).metadata
  const commits = await readCommits(snapshot.store, files, table)
  const plans = commits.map((c, i) => {
    let info: CommitInfo | undefined
    const adds: AddFile[] = []
    const removes: RemoveFile[] = []
    const cdcs: AddCDCFile[] = []
    for (const a of c.actions) {
      if ('metaData' in a) metadata = a.metaData
      else if ('commitInfo' in a) info = a.commitInfo
      else if ('add' in a) adds.push(a.add)
      else if ('remove' in a) removes.push(a.remove)
      else if ('cdc' in a) cdcs.push(a.cdc)
    }
    if (metadata.configuration['delta.enableChangeDataFeed'] !== 'true') {
      throw new UnsupportedFeatureError(`change data feed is not enabled at version ${c.version} of table ${table} (delta.enableChangeDataFeed); changes for ${start}–${end} cannot be read`, { table, version: c.version })
    }
    // _commit_timestamp: the in-commit timestamp when enabled; else the commit's own timestamp, which
    // survives copies of the table, with the file's modification time as the last resort
    const ts = inCommitTimestampsEnabled(metadata) && typeof info?.inCommitTimestamp === 'number'
      ? info.inCommitTimestamp
      : typeof info?.timestamp === 'number' ? info.timestamp : files[i].mtime
    return { version: c.version, timestamp: ts, adds, removes, cdcs }
  })

  const prior = new Map<number, Promise<Snapshot>>()
  async function priorPartitionValues(version: number, path: string): Promise<Record<string, string | null>> {
    if (version === 0) return {}
    let s = prior.get(version - 1)
    if (!s) prior.set(version - 1, (s = loadSnapshot(snapshot.store, { version: version - 1, table })))
    return (await s).activeFiles().find((f) => f.path === path)?.partitionValues ?? {}
  }

  const batchRows = options.batchRows ?? 65_536
  async function* batches(): AsyncGenerator<ValueBatch> {
    for (const p of plans) {
      const extra = (b: ValueBatch, changeType?: string): ValueBatch => {
        const columns = b.columns.slice(0, dataFields.length)
        columns.push(changeType === undefined ? b.columns[dataFields.length] : new Array<DeltaValue>(b.length).fill(changeType))
        columns.push(new Array<DeltaValue>(b.length).fill(BigInt(p.version)))
        columns.push(new Array<DeltaValue>(b.length).fill(BigInt(Math.floor(p.timestamp)) * 1000n))
        return { fields, length: b.length, columns }
      }
      if (p.cdcs.length) {
        for (const cdc of p.cdcs) {
          for await (const b of readFileValues(endSnap, { ...cdc, deletionVector: null }, [...dataFields, CHANGE_TYPE], undefined, batchRows)) yield extra(b)
        }
        continue
      }
      const removed = new Map(p.removes.filter((r) => r.dataChange).map((r) => [r.path, r]))
      for (const add of p.adds) {
        if (!add.dataChange) continue
        const old = removed.get(add.path)
        if (old) {
          removed.delete(add.path)
          // same data file re-added with another DV: only rows whose deletion state changed
          const ctx = { table, version: p.version, file: add.path }
          const before = old.deletionVector ? await readDeletionVector(old.deletionVector, endSnap, ctx) : new DeletionVector(new Float64Array())
          const after = add.deletionVector ? await readDeletionVector(add.deletionVector, endSnap, ctx) : new DeletionVector(new Float64Array())
          const deleted = difference(after, before)
          const restored = difference(before, after)
          const file = { ...add, deletionVector: null }
          if (deleted.cardinality) for await (const b of readFileValues(endSnap, file, dataFields, undefined, batchRows, { dv: deleted, invertDv: true })) yield extra(b, 'delete')
          if (restored.cardinality) for await (const b of readFileValues(endSnap, file, dataFields, undefined, batchRows, { dv: restored, invertDv: true })) yield extra(b, 'insert')
          continue
        }
        for await (const b of readFileValues(endSnap, add, dataFields, undefined, batchRows)) yield extra(b, 'insert')
      }
      for (const r of removed.values()) {
        // removes without extendedFileMetadata lack partition values: take them from the add they remove
        const partitionValues = r.partitionValues ?? (endSnap.partitionColumns.length ? await priorPartitionValues(p.version, r.path) : {})
        const file = { path: r.path, partitionValues, size: r.size ?? undefined, deletionVector: r.deletionVector } as Pick<AddFile, 'path' | 'partitionValues' | 'size' | 'deletionVector'>
        for await (const b of readFileValues(endSnap, file, dataFields, undefined, batchRows)) yield extra(b, 'delete')
      }
    }
  }
  return { fields, batches: batches() }
}

function difference(a: DeletionVector, b: DeletionVector): DeletionVector {
  const out: number[] = []
  for (const r of a.rows) if (!b.has(r)) out.push(r)
  return new DeletionVector(Float64Array.from(out))
}

/** `scanChanges()`: the change feed as Arrow RecordBatches, one at a time (bounded memory, as `scan()`). */
export async function* changeBatches(snapshot: Snapshot, options: ChangesOptions): AsyncGenerator<RecordBatch> {
  const { fields, batches } = await readChanges(snapshot, options)
  const A = await arrowModule()
  const schema = A.toArrowSchema(fields)
  for await (const b of batches) if (b.length > 0) yield A.valueBatchToArrow(b, schema)
}

/** `changesToArrow()`: the change feed as one Arrow Table (empty, with the CDF schema, when nothing changed). */
export async function changesTable(snapshot: Snapshot, options: ChangesOptions): Promise<Table> {
  const { fields, batches } = await readChanges(snapshot, options)
  const A = await arrowModule()
  const schema = A.toArrowSchema(fields)
  const out: RecordBatch[] = []
  for await (const b of batches) if (b.length > 0) out.push(A.valueBatchToArrow(b, schema))
  return A.arrowTable(schema, out)
}
