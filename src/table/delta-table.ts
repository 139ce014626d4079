// The public DeltaTable handle: opens a table (latest, a version or a timestamp) and exposes its
// state. Thin glue over log/ (read side here); scans and writes are added by their layers.
import { InvalidArgumentError } from '../errors.js'
import type { AddFile, Metadata, Protocol, RemoveFile } from '../log/actions.js'
import { readHistory, type HistoryEntry } from '../log/history.js'
import { advanceSnapshot, loadSnapshot, type Snapshot } from '../log/snapshot.js'
import { commitsSeenAfter } from '../txn/seen-commits.js'
import { postCommit, reportWarnings, type PostCommitOptions, type Warned, type WarningOptions, type WriteWarning } from './post-commit.js'
import type { RecordBatch, Table } from 'apache-arrow'
import { changeBatches, changesTable, readChanges, type ChangesOptions } from '../scan/cdf.js'
import { scanBatches, toArrow, toRows, valueBatchToRows, type ScanOptions } from '../scan/scan.js'
import type { StructType } from '../schema/types.js'
import type { RowValue } from '../schema/values.js'
import type { ExprLike } from '../expr/bind.js'
import { selectFiles } from '../scan/file-skipping.js'
import { checkOptions, optionKeys } from '../options.js'
import { checkClock } from '../clock.js'
import { WRITE_FILES_OPTION_KEYS } from '../write/data-files.js'
import { SCAN_OPTION_KEYS } from '../scan/scan.js'
import { CHANGES_OPTION_KEYS } from '../scan/cdf.js'
import { DML_OPTION_KEYS } from '../dml/update-delete.js'
import { OPTIMIZE_OPTION_KEYS } from '../maintenance/optimize.js'
import { VACUUM_OPTION_KEYS } from '../maintenance/vacuum.js'
import { RESTORE_OPTION_KEYS } from '../maintenance/restore.js'
import { openStore } from '../storage/resolve.js'
import { append as appendData, createTable, overwrite as overwriteData, APPEND_OPTION_KEYS, CREATE_OPTION_KEYS, OVERWRITE_OPTION_KEYS, TXN_OPTION_KEYS, type AppendOptions, type CreateTableOptions, type OverwriteOptions, type WriteResult } from '../write/operations.js'
import type { WriteData } from '../write/input.js'
import type { ObjectStore } from '../storage/object-store.js'
import { optimize, type OptimizeOptions, type OptimizeResult } from '../maintenance/optimize.js'
import { vacuum, type VacuumOptions, type VacuumResult } from '../maintenance/vacuum.js'
import { restore, type RestoreOptions, type RestoreResult } from '../maintenance/restore.js'
import * as alter from '../maintenance/alter.js'
import { MergeBuilder } from '../dml/merge.js'
import { MERGE_OPTION_KEYS, type MergeOptions } from '../dml/merge-types.js'
import { CDC_OPTION_KEYS, checkCdcOptions, mergeCdc, type CdcMergeOptions, type CdcMergeResult } from '../dml/cdc.js'
import { deleteRows, updateRows, type DmlOptions } from '../dml/update-delete.js'
import type { Assignments } from '../dml/clauses.js'

/** Which version `DeltaTable.open` (and `refresh`) loads: the latest by default, or time travel by `version` or `timestamp`. */
export interface OpenOptions {
  version?: number
  /** ISO string (UTC when no zone is given), Date or epoch milliseconds. */
  timestamp?: string | Date | number
  /** Allow data files outside the table root (absolute paths in the log). Off by default. */
  allowExternalPaths?: boolean
}

export const OPEN_OPTION_KEYS = optionKeys<OpenOptions>()(['version', 'timestamp', 'allowExternalPaths'])

/** Options of `DeltaTable.files`. */
export interface FilesOptions {
  /** SQL-subset string or expression: files are pruned by partition values and skipped by stats. */
  filter?: ExprLike | null
}
const FILES_OPTION_KEYS = optionKeys<FilesOptions>()(['filter'])
// The write calls also take WarningOptions (post-commit warnings).
const CREATE_KEYS = optionKeys<CreateTableOptions & WarningOptions>()([...CREATE_OPTION_KEYS, 'onWarning'])
const APPEND_KEYS = optionKeys<AppendOptions & WarningOptions>()([...APPEND_OPTION_KEYS, 'onWarning'])
const OVERWRITE_KEYS = optionKeys<OverwriteOptions & WarningOptions>()([...OVERWRITE_OPTION_KEYS, 'onWarning'])
const DML_KEYS = optionKeys<DmlOptions & WarningOptions>()([...DML_OPTION_KEYS, 'onWarning'])
const MERGE_KEYS = optionKeys<MergeOptions & WarningOptions>()([...MERGE_OPTION_KEYS, 'onWarning'])
const CDC_KEYS = optionKeys<CdcMergeOptions & WarningOptions>()([...CDC_OPTION_KEYS, 'onWarning'])
const OPTIMIZE_KEYS = optionKeys<OptimizeOptions & WarningOptions>()([...OPTIMIZE_OPTION_KEYS, 'onWarning'])
const VACUUM_KEYS = optionKeys<VacuumOptions & WarningOptions>()([...VACUUM_OPTION_KEYS, 'onWarning'])
const RESTORE_KEYS = optionKeys<RestoreOptions & WarningOptions>()([...RESTORE_OPTION_KEYS, 'onWarning'])
const HISTORY_OPTION_KEYS = optionKeys<{ limit?: number }>()(['limit'])
const PROPERTIES_OPTION_KEYS = optionKeys<{ allowArbitraryProperties?: boolean } & WarningOptions>()(['allowArbitraryProperties', 'onWarning'])
const WARNING_OPTION_KEYS = optionKeys<WarningOptions>()(['onWarning'])
const IF_EXISTS_OPTION_KEYS = optionKeys<{ ifExists?: boolean } & WarningOptions>()(['ifExists', 'onWarning'])

/** UnknownOptionError for a key outside `keys` in `options` (and in its `txn` / `write` objects). */
function checked<T>(call: string, options: T, keys: readonly string[], table?: string): T {
  const ctx = { table }
  checkOptions(call, options, keys, ctx)
  const o = options as { txn?: unknown; write?: { now?: unknown }; now?: unknown } | undefined
  checkClock(o?.now)
  checkClock(o?.write?.now)
  if (o && keys.includes('txn')) checkOptions(`${call} txn`, o.txn, TXN_OPTION_KEYS, ctx)
  if (o && keys.includes('write')) checkOptions(`${call} write`, o.write, WRITE_FILES_OPTION_KEYS, ctx)
  return options
}

/** UPDATE and DELETE take their row predicate as a required argument: all rows is `'true'`, never a default. */
function requireWhere(call: string, where: unknown, table: string): void {
  if (where === undefined || where === null || (typeof where === 'string' && where.trim() === '')) {
    throw new InvalidArgumentError(`${call} needs a predicate (a SQL string or an expression) for the rows to ${call}, got ${where === '' ? 'an empty string' : String(where)}; to ${call} every row of table ${table}, pass 'true': ${call === 'delete' ? "t.delete('true')" : "t.update('true', set)"}`, { table })
  }
}

/**
 * A handle on one Delta table at one version (a snapshot): reads see that version; each write commits
 * a new version and moves the handle to it. Open with `DeltaTable.open`, make one with `DeltaTable.create`.
 * @example
 * const t = await DeltaTable.create('./lake/events', { schema: { type: 'struct', fields: [
 *   { name: 'id', type: 'long', nullable: false, metadata: {} }] } })
 * await t.append([{ id: 1n }, { id: 2n }])
 * const rows = await (await DeltaTable.open('./lake/events')).toRows({ filter: 'id > 1' })
 */
export class DeltaTable {
  protected constructor(
    readonly store: ObjectStore,
    protected _snapshot: Snapshot,
    protected readonly options: { allowExternalPaths?: boolean },
  ) {}

  /** Open the table at `uri` (a local path, file://, memory://… or an ObjectStore). */
  static async open(uri: string | ObjectStore, options: OpenOptions = {}): Promise<DeltaTable> {
    checked('DeltaTable.open', options, OPEN_OPTION_KEYS, typeof uri === 'string' ? uri : uri.url)
    const store = await openStore(uri)
    const snapshot = await loadSnapshot(store, { version: options.version, timestamp: options.timestamp, allowExternalPaths: options.allowExternalPaths })
    return new DeltaTable(store, snapshot, { allowExternalPaths: options.allowExternalPaths })
  }

  /** Create a Delta table at `uri` (version 0; see CreateTableOptions.ifExists) and open it. */
  static async create(uri: string | ObjectStore, options: CreateTableOptions & WarningOptions): Promise<DeltaTable> {
    checked('DeltaTable.create', options, CREATE_KEYS, typeof uri === 'string' ? uri : uri.url)
    const store = await openStore(uri)
    const { onWarning, ...createOptions } = options
    const r = await createTable(store, createOptions)
    const t = await DeltaTable.open(store)
    // 'ignore' may have found an existing table: its versions are not ours to follow up.
    if (options.ifExists !== 'ignore' && t.version === r.version) await postCommit(t._snapshot, { onWarning })
    return t
  }

  /** The table's URL, as used in messages. */
  get url(): string { return this.store.url }
  /** The Snapshot this handle reads (and writes plan against). */
  get snapshot(): Snapshot { return this._snapshot }
  get version(): number { return this._snapshot.version }
  get schema(): StructType { return this._snapshot.schema }
  get partitionColumns(): string[] { return this._snapshot.partitionColumns }
  get properties(): Record<string, string> { return this._snapshot.properties }
  get protocol(): Protocol { return this._snapshot.protocol }
  /** The metaData action (id, name, description, format, createdTime, configuration…). */
  get metadata(): Metadata { return this._snapshot.metadata }
  /** appId → last committed version, from txn actions (idempotent writers). */
  get txns(): Map<string, number> { return this._snapshot.txns }
  /** Commit timestamp of this version (epoch ms). */
  get timestamp(): number { return this._snapshot.timestamp }

  /**
   * Active add actions of this version; with a filter, only the files that may hold matching rows
   * (partition pruning, then min/max/nullCount stats skipping; conservative when unsure).
   */
  async files(options: FilesOptions = {}): Promise<AddFile[]> {
    checked('files', options, FILES_OPTION_KEYS, this.url)
    const files = this._snapshot.activeFiles()
    if (options.filter === undefined || options.filter === null) return files.slice()
    const s = this._snapshot
    return selectFiles(files, { schema: s.schema, partitionColumns: s.partitionColumns, configuration: s.properties }, options.filter)
  }

  /** Remove actions still retained in the log (for VACUUM). */
  async tombstones(): Promise<RemoveFile[]> {
    return this._snapshot.tombstones().slice()
  }

  /** commitInfo per version, newest first, from this handle's version down. */
  async history(options: { limit?: number } = {}): Promise<HistoryEntry[]> {
    const { limit } = checked('history', options, HISTORY_OPTION_KEYS, this.url)
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
      throw new InvalidArgumentError(`history limit must be a non-negative integer, got ${limit} (table ${this.url})`, { table: this.url })
    }
    return readHistory(this.store, this.url, this._snapshot.version, limit)
  }

  /** The rows of this version as one Arrow Table (filter: SQL-subset string or expression). */
  async toArrow(options: ScanOptions = {}): Promise<Table> {
    return toArrow(this._snapshot, checked('toArrow', options, SCAN_OPTION_KEYS, this.url))
  }

  /** The rows as plain objects: bigint for long, Date for date/timestamp, string for decimal. */
  async toRows(options: ScanOptions = {}): Promise<Record<string, RowValue>[]> {
    return toRows(this._snapshot, checked('toRows', options, SCAN_OPTION_KEYS, this.url))
  }

  /** Arrow RecordBatches, one row group of one file at a time (bounded memory). */
  scan(options: ScanOptions = {}): AsyncGenerator<RecordBatch> {
    return scanBatches(this._snapshot, checked('scan', options, SCAN_OPTION_KEYS, this.url))
  }

  /**
   * Change Data Feed rows of versions [startVersion, endVersion] (default: this version), each with
   * `_change_type` (insert, delete, update_preimage, update_postimage), `_commit_version` and
   * `_commit_timestamp`. The feed is off until the table property `delta.enableChangeDataFeed` is
   * `'true'` (set it at create: `properties: { 'delta.enableChangeDataFeed': 'true' }`, or later with
   * `setProperties`); a version in the range written without it is refused. All rows at once: for a
   * large range use `scanChanges()` (batches, bounded memory) or `changesToArrow()`.
   * @example
   * const t = await DeltaTable.create(uri, { schema, properties: { 'delta.enableChangeDataFeed': 'true' } })
   * const rows = await t.changes({ startVersion: 1 })
   */
  async changes(options: ChangesOptions): Promise<Record<string, RowValue>[]> {
    const { batches } = await readChanges(this._snapshot, checked('changes', options, CHANGES_OPTION_KEYS, this.url))
    const rows: Record<string, RowValue>[] = []
    for await (const b of batches) rows.push(...valueBatchToRows(b))
    return rows
  }

  /** The change data feed of `changes()` as one Arrow Table (same columns; needs `delta.enableChangeDataFeed`). */
  async changesToArrow(options: ChangesOptions): Promise<Table> {
    return changesTable(this._snapshot, checked('changesToArrow', options, CHANGES_OPTION_KEYS, this.url))
  }

  /**
   * The change data feed of `changes()` as Arrow RecordBatches, read one file batch at a time (bounded
   * memory, as `scan()`; needs `delta.enableChangeDataFeed`).
   * @example
   * for await (const batch of t.scanChanges({ startVersion: 5 })) console.log(batch.numRows)
   */
  scanChanges(options: ChangesOptions): AsyncGenerator<RecordBatch> {
    return changeBatches(this._snapshot, checked('scanChanges', options, CHANGES_OPTION_KEYS, this.url))
  }

  /** Append rows (Arrow Table/RecordBatch or plain objects) in one commit; the handle moves to it. */
  async append(data: WriteData, options: AppendOptions & WarningOptions = {}): Promise<WriteResult & Warned> {
    const { onWarning, ...opts } = checked('append', options, APPEND_KEYS, this.url)
    return this.committed(await appendData(this._snapshot, data, opts), { onWarning })
  }

  /** Replace all rows, or those matching `replaceWhere`, in one commit; the handle moves to it. */
  async overwrite(data: WriteData, options: OverwriteOptions & WarningOptions = {}): Promise<WriteResult & Warned> {
    const { onWarning, ...opts } = checked('overwrite', options, OVERWRITE_KEYS, this.url)
    return this.committed(await overwriteData(this._snapshot, data, opts), { onWarning })
  }

  /**
   * MERGE, in one of two forms picked by `options.on`:
   * - with `on` (key column names or a condition naming `target`/`source`, aliases `t`/`s`): returns
   *   the builder, `await t.merge(src, { on }).whenMatchedUpdateAll().whenNotMatchedInsertAll()`
   *   (awaiting it runs the merge once; `.execute()` is the same run, spelled out);
   * - without it, CDC mode: applies the change feed (keys: the table's primary key or
   *   `options.keys`; format told by the batch's columns, docs/change-feeds.md; latest per key by
   *   `options.sequence`) and resolves with `{ version, metrics, cdc }`, so `await t.merge(cdcBatch)`
   *   and `await silver.merge(await bronze.changes({ startVersion }))` just work.
   * Options are checked at run time (UnknownOptionError names an unknown key).
   * Either way the handle moves to the version written.
   */
  merge(source: WriteData, options: MergeOptions & WarningOptions): MergeBuilder
  merge(source: WriteData, options?: CdcMergeOptions & WarningOptions): Promise<CdcMergeResult & Warned>
  merge(source: WriteData, options?: (MergeOptions | CdcMergeOptions) & WarningOptions): MergeBuilder | Promise<CdcMergeResult & Warned> {
    if (options && 'on' in options && options.on !== undefined) {
      const { onWarning, ...opts } = checked('merge', options, MERGE_KEYS, this.url)
      return new MergeBuilder(() => this._snapshot, source, opts, (v) => this.moveTo(v, { onWarning }))
    }
    let cdc = (options ?? {}) as CdcMergeOptions & WarningOptions
    // `on: undefined` reads as CDC mode (the builder needs a condition)
    if ('on' in cdc) {
      const { on: _, ...rest } = cdc as CdcMergeOptions & WarningOptions & { on?: undefined }
      cdc = rest
    }
    let onWarning: WarningOptions['onWarning']
    try {
      ;({ onWarning, ...cdc } = checked('merge (CDC mode)', cdc, CDC_KEYS, this.url))
      checkCdcOptions(cdc, { table: this.url })
    } catch (e) {
      return Promise.reject(e)
    }
    return mergeCdc(this._snapshot, source, cdc).then((r) => this.committed(r, { onWarning }))
  }

  /**
   * UPDATE the rows matching `where` (SQL-subset string or expression; `'true'` for every row): `set`
   * maps columns to SQL expressions (or plain values).
   */
  async update(where: ExprLike, set: Assignments, options: DmlOptions & WarningOptions = {}): Promise<WriteResult & Warned> {
    requireWhere('update', where, this.url)
    const { onWarning, ...opts } = checked('update', options, DML_KEYS, this.url)
    return this.committed(await updateRows(this._snapshot, where, set, opts), { onWarning })
  }

  /**
   * DELETE the rows matching `where` (SQL-subset string or expression); deletion vectors when enabled.
   * Deleting every row is explicit: `delete('true')`.
   */
  async delete(where: ExprLike, options: DmlOptions & WarningOptions = {}): Promise<WriteResult & Warned> {
    requireWhere('delete', where, this.url)
    const { onWarning, ...opts } = checked('delete', options, DML_KEYS, this.url)
    return this.committed(await deleteRows(this._snapshot, where, opts), { onWarning })
  }

  /** OPTIMIZE: compact small files (and purge heavy deletion vectors) or Z-order; rows unchanged. */
  async optimize(options: OptimizeOptions & WarningOptions = {}): Promise<OptimizeResult & Warned> {
    const { onWarning, ...opts } = checked('optimize', options, OPTIMIZE_KEYS, this.url)
    return this.committed(await optimize(this._snapshot, opts), { onWarning, now: opts.now })
  }

  /** VACUUM: delete files no version inside the retention needs (planned on the latest version). */
  async vacuum(options: VacuumOptions & WarningOptions = {}): Promise<VacuumResult & Warned> {
    const { onWarning, ...opts } = checked('vacuum', options, VACUUM_KEYS, this.url)
    const r = await vacuum(this.store, opts)
    if (r.version === undefined) return { ...r, warnings: [] }
    return this.committed({ ...r, version: r.version }, { onWarning, now: opts.now })
  }

  /** RESTORE: one commit bringing the table back to an earlier version's state. */
  async restore(options: RestoreOptions & WarningOptions): Promise<RestoreResult & Warned> {
    const { onWarning, ...opts } = checked('restore', options, RESTORE_KEYS, this.url)
    return this.committed(await restore(this._snapshot, opts), { onWarning, now: opts.now })
  }

  /** Set table properties; `delta.feature.<name>: 'supported'` adds a table feature. */
  async setProperties(properties: Record<string, string>, options: { allowArbitraryProperties?: boolean } & WarningOptions = {}): Promise<alter.AlterResult & Warned> {
    const { onWarning, ...opts } = checked('setProperties', options, PROPERTIES_OPTION_KEYS, this.url)
    return this.committed(await alter.setProperties(this._snapshot, properties, opts), { onWarning })
  }

  async unsetProperties(keys: string[], options: { ifExists?: boolean } & WarningOptions = {}): Promise<alter.AlterResult & Warned> {
    const { onWarning, ...opts } = checked('unsetProperties', options, IF_EXISTS_OPTION_KEYS, this.url)
    return this.committed(await alter.unsetProperties(this._snapshot, keys, opts), { onWarning })
  }

  /** Add nullable columns at the end of the schema. */
  async addColumns(columns: alter.NewColumn[]): Promise<alter.AlterResult & Warned> {
    if (Array.isArray(columns)) for (const c of columns) checked('addColumns column', c, alter.NEW_COLUMN_KEYS, this.url)
    return this.committed(await alter.addColumns(this._snapshot, columns))
  }

  /** Rename a column (dotted path for nested ones); needs column mapping. */
  async renameColumn(from: string, to: string): Promise<alter.AlterResult & Warned> {
    return this.committed(await alter.renameColumn(this._snapshot, from, to))
  }

  /** Drop columns (dotted paths for nested ones) in one commit; needs column mapping. */
  async dropColumns(names: string[], options: WarningOptions = {}): Promise<alter.AlterResult & Warned> {
    const { onWarning } = checked('dropColumns', options, WARNING_OPTION_KEYS, this.url)
    if (!Array.isArray(names)) {
      throw new InvalidArgumentError(`dropColumns takes an array of column names, got ${JSON.stringify(names)} (table ${this.url})`, { table: this.url })
    }
    return this.committed(await alter.dropColumns(this._snapshot, names), { onWarning })
  }

  /** Add a CHECK constraint after validating every existing row. */
  async addConstraint(name: string, expression: string): Promise<alter.AlterResult & Warned> {
    return this.committed(await alter.addConstraint(this._snapshot, name, expression))
  }

  async dropConstraint(name: string, options: { ifExists?: boolean } & WarningOptions = {}): Promise<alter.AlterResult & Warned> {
    const { onWarning, ...opts } = checked('dropConstraint', options, IF_EXISTS_OPTION_KEYS, this.url)
    return this.committed(await alter.dropConstraint(this._snapshot, name, opts), { onWarning })
  }

  /** Move to the version an operation wrote and run the post-commit step; its warnings join the result. */
  private async committed<R extends { version: number }>(r: R, opts: PostCommitOptions = {}): Promise<R & Warned> {
    return { ...r, warnings: await this.moveTo(r.version, opts) }
  }

  /** Move to `version` (a commit of ours) and run the post-commit step: never fails once the reload worked. */
  private async moveTo(version: number, opts: PostCommitOptions = {}): Promise<WriteWarning[]> {
    if (version === this._snapshot.version) return []
    const heldVersion = this._snapshot.version
    // The commit has landed: a read failure here must never turn it into a failed write (a caller
    // would retry it and write the rows twice), so the reload is retried, then reported as a warning
    // with the handle left at the version it held (docs/reliability.md).
    for (let attempt = 1; ; attempt++) {
      try {
        // Usually just the commit(s) we wrote on top of the snapshot we hold.
        this._snapshot = await advanceSnapshot(this._snapshot, { version, known: commitsSeenAfter(this._snapshot) })
        break
      } catch (e) {
        if (attempt < 3) continue
        const held = this._snapshot.version
        const message = `version ${version} of table ${this.url} was committed (the commit stands), but the handle could not read it back and stays at version ${held}; call refresh() before relying on it: ${e instanceof Error ? e.message : String(e)}`
        return reportWarnings([{ kind: 'reload', message, table: this.url, version, cause: e }], opts)
      }
    }
    return postCommit(this._snapshot, { ...opts, heldVersion })
  }

  /** Move this handle to the latest version (or the given one). */
  async refresh(options: OpenOptions = {}): Promise<this> {
    checked('refresh', options, OPEN_OPTION_KEYS, this.url)
    this._snapshot = options.timestamp === undefined
      ? await advanceSnapshot(this._snapshot, { version: options.version })
      : await loadSnapshot(this.store, { ...options, allowExternalPaths: this.options.allowExternalPaths })
    return this
  }
}
