// The write operations over a Snapshot: createTable, append, overwrite (full or replaceWhere). Each
// validates everything it can, writes data files, then commits one version; returns
// { version, metrics }. The post-commit step (checksum, checkpoint, log cleanup) is the handle's: table/post-commit.ts.
import type * as arrow from 'apache-arrow'
import { CommitConflictError, ConstraintViolationError, InvalidArgumentError, SchemaMismatchError, TableExistsError, UnsupportedFeatureError } from '../errors.js'
import type { AddFile, Metadata, Protocol, RemoveFile } from '../log/actions.js'
import { LOG_DIR, parseLogPath } from '../log/log-path.js'
import { loadSnapshot, type Snapshot } from '../log/snapshot.js'
import { bindPredicate, type ExprLike } from '../expr/bind.js'
import { evalPredicateRows } from '../expr/eval.js'
import { exprToSql } from '../expr/print.js'
import type { Expr } from '../expr/ast.js'
import { predicateCoversFile, selectFiles, type SnapshotInfo } from '../scan/file-skipping.js'
import { readFileValues } from '../scan/scan.js'
import { materializedFields, rowTrackingEnabled } from '../scan/row-tracking.js'
import { fromArrowSchema, isArrowSchema } from '../schema/arrow-input.js'
import { checkUserType, columnMappingMode, isArray, isMap, isStruct, serializeSchema, type DataType, type StructField, type StructType } from '../schema/types.js'
import type { DeltaValue } from '../schema/values.js'
import type { ObjectStore } from '../storage/object-store.js'
import { nowOf, type Clock } from '../clock.js'
import { Transaction, type PlanReads } from '../txn/transaction.js'
import { applyGeneratedColumns, checkRowRules, generatedColumns, valuesBatch } from './constraints.js'
import { prestartCompression } from './compress-offload.js'
import { codecForTable } from './codec.js'
import { writeDataFiles, WRITE_FILES_OPTION_KEYS, type WriteFilesOptions } from './data-files.js'
import { assignIdentityValues, identityColumns } from './identity.js'
import {
  assignColumnMapping, checkWriteSupport, featuresInUse, materializesPartitionColumns, maxColumnIdOf, mergeProtocols, protocolFor, schemaChange,
  ROW_TRACKING_DOMAIN, rowIdHighWaterMark, rowTrackingActive, rowTrackingConfiguration,
} from './features.js'
import { inferFromValues, normalizeInput, type InputBatch, type WriteData } from './input.js'
import { partitionFields } from './partition.js'
import { clusteringDomain, clusteringFields } from './clustering.js'
import type { ColumnValues } from './parquet-write.js'
import { optionKeys } from '../options.js'

/** Table property holding the primary key columns (a JSON array of names) for the CDC merge. */
export const PRIMARY_KEY_PROPERTY = 'lagomago.primaryKey'

/** The version a write committed and its operation metrics (as in commitInfo). */
export interface WriteResult {
  version: number
  metrics: Record<string, number>
}

/** Options of `DeltaTable.create`: the schema (required), partitioning, properties, primary key. */
export interface CreateTableOptions {
  schema: StructType | arrow.Schema
  partitionBy?: string[]
  properties?: Record<string, string>
  primaryKey?: string | string[]
  /** Make a clustered table (PROTOCOL.md "Clustered Table"): OPTIMIZE clusters its rows by these columns. */
  clusterBy?: string[]
  ifExists?: 'error' | 'ignore' | 'overwrite'
  name?: string
  description?: string
  /** Clock for the commit timestamp (epoch ms). */
  now?: Clock
}
export const CREATE_OPTION_KEYS = optionKeys<CreateTableOptions>()(['schema', 'partitionBy', 'properties', 'primaryKey', 'ifExists', 'name', 'description', 'now', 'clusterBy'])

/** `txn` of a write: an idempotent writer's application id and version. */
export interface TxnOption { appId: string; version: number }
export const TXN_OPTION_KEYS = optionKeys<TxnOption>()(['appId', 'version'])

/** Options of `DeltaTable.append`. */
export interface AppendOptions extends WriteFilesOptions {
  mergeSchema?: boolean
  /** Idempotent write: skipped when the table already recorded `version` (or later) for `appId`. */
  txn?: TxnOption
}
export const APPEND_OPTION_KEYS = optionKeys<AppendOptions>()([...WRITE_FILES_OPTION_KEYS, 'mergeSchema', 'txn'])

/** Options of `DeltaTable.overwrite`: all rows, or those matching `replaceWhere`. */
export interface OverwriteOptions extends WriteFilesOptions {
  /** Replace only the rows matching this predicate; every new row must match it. */
  replaceWhere?: ExprLike
  /** Replace the schema (and, with partitionBy, the partitioning) by the data's. */
  overwriteSchema?: boolean
  partitionBy?: string[]
  mergeSchema?: boolean
  txn?: TxnOption
}
export const OVERWRITE_OPTION_KEYS = optionKeys<OverwriteOptions>()([...WRITE_FILES_OPTION_KEYS, 'replaceWhere', 'overwriteSchema', 'partitionBy', 'mergeSchema', 'txn'])

// ───────────────────────────── create ─────────────────────────────

function checkSchemaNames(t: DataType, where: string, table: string): void {
  if (isStruct(t)) {
    const seen = new Set<string>()
    for (const f of t.fields) {
      const k = f.name.toLowerCase()
      if (seen.has(k)) throw new SchemaMismatchError(`duplicate column ${where}${f.name} (names are case-insensitive)`, { column: f.name, table })
      seen.add(k)
      checkSchemaNames(f.type, `${where}${f.name}.`, table)
    }
  } else if (isArray(t)) checkSchemaNames(t.elementType, where, table)
  else if (isMap(t)) { checkSchemaNames(t.keyType, where, table); checkSchemaNames(t.valueType, where, table) }
}

async function tableExists(store: ObjectStore): Promise<boolean> {
  for await (const meta of store.list(LOG_DIR, { recursive: false })) {
    if (parseLogPath(meta)) return true
  }
  return false
}

/** Configuration and schema of a new (or replaced) table: defaults, column mapping ids, primary key. */
function prepareMetadata(schema: StructType, properties: Record<string, string>, primaryKey: string[] | undefined, table: string, base?: Metadata): { schema: StructType; configuration: Record<string, string> } {
  let configuration: Record<string, string> = { ...properties }
  if (configuration['delta.enableRowTracking'] === 'true') configuration = rowTrackingConfiguration(configuration)
  // New tables get deletion vectors unless told otherwise, as Databricks does.
  if (configuration['delta.enableDeletionVectors'] === undefined) configuration['delta.enableDeletionVectors'] = 'true'
  if (primaryKey?.length) {
    for (const k of primaryKey) {
      const f = schema.fields.find((x) => x.name === k)
      if (!f || typeof f.type !== 'string') throw new SchemaMismatchError(`primary key column ${k} is not a top-level primitive column`, { column: k, table })
    }
    configuration[PRIMARY_KEY_PROPERTY] = JSON.stringify(primaryKey)
  }
  const mode = columnMappingMode(configuration)
  if (mode !== 'none') {
    const start = Number(base?.configuration['delta.columnMapping.maxColumnId'] ?? maxColumnIdOf(schema))
    const mapped = assignColumnMapping(schema, start)
    configuration['delta.columnMapping.maxColumnId'] = String(mapped.maxColumnId)
    return { schema: mapped.schema, configuration }
  }
  return { schema, configuration }
}

/** Create a table at `store` (version 0), or replace it with `ifExists: 'overwrite'`. */
export async function createTable(store: ObjectStore, opts: CreateTableOptions): Promise<WriteResult> {
  const table = store.url
  const now = (): number => nowOf(opts.now)
  const given = isArrowSchema(opts.schema) ? fromArrowSchema(opts.schema) : opts.schema
  if (!given || given.type !== 'struct' || !Array.isArray(given.fields) || given.fields.length === 0) {
    throw new InvalidArgumentError(`createTable needs a schema with at least one column (table ${table})`, { table })
  }
  // a plain-object schema is unchecked JSON at run time: validate it as the log's schema is
  const input = checkUserType(given, '', table) as StructType
  checkSchemaNames(input, '', table)
  identityColumns(input, table) // validates identity columns: long, non-zero step
  const partitionBy = opts.partitionBy ?? []
  partitionFields(input, partitionBy, table)
  const primaryKey = opts.primaryKey === undefined ? undefined : Array.isArray(opts.primaryKey) ? opts.primaryKey : [opts.primaryKey]

  const exists = await tableExists(store)
  let previous: Snapshot | undefined
  if (exists) {
    const ifExists = opts.ifExists ?? 'error'
    if (ifExists === 'error') throw new TableExistsError(`a Delta table already exists at ${table}`, { table })
    previous = await loadSnapshot(store)
    if (ifExists === 'ignore') return { version: previous.version, metrics: {} }
  }
  const { schema, configuration } = prepareMetadata(input, opts.properties ?? {}, primaryKey, table)
  const canonicalPartitions = partitionFields(schema, partitionBy, table).map((f) => f.name)
  const clustering = opts.clusterBy === undefined ? undefined : clusteringDomain(schema, opts.clusterBy, partitionBy, columnMappingMode(configuration), table)
  const features = featuresInUse(schema, configuration)
  if (clustering) features.add('clustering')
  let protocol = protocolFor(features)
  if (previous) protocol = mergeProtocols(previous.protocol, protocol) // a protocol never goes down
  checkWriteSupport(protocol, schema, configuration, table, undefined, WRITE_EXTRA_FEATURES)
  const metadata: Metadata = {
    id: globalThis.crypto.randomUUID(),
    ...(opts.name === undefined ? {} : { name: opts.name }),
    ...(opts.description === undefined ? {} : { description: opts.description }),
    format: { provider: 'parquet', options: {} },
    schemaString: serializeSchema(schema),
    partitionColumns: canonicalPartitions,
    configuration,
    createdTime: now(),
  }
  const operationParameters = {
    partitionBy: canonicalPartitions, description: opts.description, isManaged: 'false', properties: configuration,
  }
  const txn = previous
    ? Transaction.on(previous, { operation: 'CREATE OR REPLACE TABLE', operationParameters, now })
    : Transaction.create(store, table, { operation: 'CREATE TABLE', operationParameters, now })
  txn.setProtocol(protocol).setMetadata(metadata)
  if (clustering) txn.setDomainMetadata(clustering)
  if (previous) {
    txn.removeFiles(previous.activeFiles().map((a) => removeOf(a, now())))
    txn.recordRead({ wholeTable: true })
  }
  txn.metrics = previous ? { numRemovedFiles: previous.activeFiles().length } : {}
  let r
  try {
    r = await txn.commit()
  } catch (e) {
    // Another creator won version 0 between our check and our commit.
    if (previous || !(e instanceof CommitConflictError)) throw e
    if (opts.ifExists === 'ignore') return { version: (await loadSnapshot(store)).version, metrics: {} }
    throw new TableExistsError(`a Delta table was created concurrently at ${table}`, { table, cause: e })
  }
  return { version: r.version, metrics: txn.metrics }
}

// ───────────────────────────── shared write steps ─────────────────────────────

/** Writer features append/overwrite implement on top of the common list (see features.ts). */
const WRITE_EXTRA_FEATURES = ['rowTracking', 'identityColumns']

/**
 * Row tracking (PROTOCOL.md "Writer Requirements for Row Tracking"): fresh row ids for the new files
 * above the high water mark, their commit version, and the new mark in the `delta.rowTracking`
 * domain. Both depend on the version committed: when the commit moves past a concurrent winner, the
 * ids are assigned again above the winner's mark, with the next version.
 */
export function stampRowTracking(snapshot: Snapshot, protocol: Protocol, configuration: Record<string, string>, adds: AddFile[], txn: Transaction, copiesRows = true): void {
  if (!rowTrackingActive(protocol, configuration)) return
  // Copied and updated rows keep their stable ids when row tracking is enabled (the DML, OPTIMIZE
  // and replaceWhere paths); an append copies none. PROTOCOL.md: "should set delta.rowTracking.preserved".
  txn.commitTags['delta.rowTracking.preserved'] = String(configuration['delta.enableRowTracking'] === 'true' || !copiesRows)
  if (adds.length === 0) return
  const counts = adds.map((a) => Number(JSON.parse(a.stats ?? '{}').numRecords ?? 0))
  const domain = { domain: ROW_TRACKING_DOMAIN, configuration: '', removed: false }
  let mark = rowIdHighWaterMark(snapshot.domainMetadata)
  const assign = (version: number) => {
    let next = mark + 1
    adds.forEach((a, i) => {
      a.baseRowId = next
      a.defaultRowCommitVersion = version
      next += counts[i]
    })
    domain.configuration = JSON.stringify({ rowIdHighWaterMark: next - 1 })
  }
  assign(snapshot.version + 1)
  txn.setDomainMetadata(domain)
  txn.onRebase((winner) => {
    for (const a of winner.actions) {
      if ('domainMetadata' in a && a.domainMetadata.domain === ROW_TRACKING_DOMAIN && !a.domainMetadata.removed) {
        mark = Math.max(mark, rowIdHighWaterMark(new Map([[ROW_TRACKING_DOMAIN, a.domainMetadata]])))
      }
      // a winner's fresh ids count too, should it not have raised the mark
      if ('add' in a && typeof a.add.baseRowId === 'number') mark = Math.max(mark, a.add.baseRowId + Number(JSON.parse(a.add.stats ?? '{}').numRecords ?? 1) - 1)
    }
    assign(winner.version + 1)
  })
}

/** For commits that cannot be moved past a concurrent one (a row id backfill of every file). */
export function noRebaseWithRowIds(table: string) {
  return () => {
    throw new CommitConflictError(`another writer committed first; a commit assigning row ids (rowTracking) is not rebased, retry the write (table ${table})`, { table })
  }
}

/** The remove action for an active file (keeps its DV: the logical file key includes it). */
export function removeOf(a: AddFile, now: number): RemoveFile {
  const r: RemoveFile = {
    path: a.path, deletionTimestamp: now, dataChange: true, extendedFileMetadata: true,
    partitionValues: a.partitionValues, size: a.size,
  }
  if (a.stats) r.stats = a.stats
  if (a.tags) r.tags = a.tags
  if (a.deletionVector) r.deletionVector = a.deletionVector
  if (a.baseRowId !== undefined && a.baseRowId !== null) r.baseRowId = a.baseRowId
  if (a.defaultRowCommitVersion !== undefined && a.defaultRowCommitVersion !== null) r.defaultRowCommitVersion = a.defaultRowCommitVersion
  return r
}

function supportsDeletionVectors(p: Protocol): boolean {
  return p.minWriterVersion >= 7 && (p.writerFeatures ?? []).includes('deletionVectors')
}

interface PlannedWrite {
  batch: InputBatch
  schema: StructType
  metadata?: Metadata
  protocol?: Protocol
  partitionColumns: string[]
}

/** Input → validated columns (schema evolution, generated columns, invariants, CHECKs). */
function planWrite(snapshot: Snapshot, data: WriteData, opts: { mergeSchema?: boolean; overwriteSchema?: boolean; partitionBy?: string[] }): PlannedWrite {
  const table = snapshot.tableUrl
  checkWriteSupport(snapshot.protocol, snapshot.schema, snapshot.properties, table, snapshot.version, WRITE_EXTRA_FEATURES)
  let schema = snapshot.schema
  let partitionColumns = snapshot.partitionColumns
  let schemaChanged = false
  if (opts.overwriteSchema) {
    schema = schemaOfData(data, table)
    partitionColumns = opts.partitionBy ?? partitionColumns.filter((c) => schema.fields.some((f) => f.name.toLowerCase() === c.toLowerCase()))
    schemaChanged = true
  } else if (opts.partitionBy && JSON.stringify(opts.partitionBy) !== JSON.stringify(partitionColumns)) {
    throw new InvalidArgumentError(`partitionBy ${JSON.stringify(opts.partitionBy)} differs from the table's ${JSON.stringify(partitionColumns)}; pass overwriteSchema: true to change it`, { table })
  }
  const computed = new Set([...generatedColumns(schema).map((g) => g.field.name), ...identityColumns(schema, table).map((c) => c.field.name)])
  // Computed columns may arrive null ("compute it"): their NOT NULL is checked once they are computed.
  const relaxed = (s: StructType): StructType => ({ ...s, fields: s.fields.map((f) => (computed.has(f.name) ? { ...f, nullable: true } : f)) })
  // A large write loads the page compression pool's module (the process's first such write compresses
  // its own pages; see compress-offload.ts), or restarts a worker that stopped.
  const rows = Array.isArray(data) ? data.length : (data as { numRows?: number }).numRows ?? 0
  prestartCompression(rows * schema.fields.length * 8, codecForTable(snapshot.properties))
  const batch = normalizeInput(data, computed.size ? relaxed(schema) : schema, { mergeSchema: opts.mergeSchema || opts.overwriteSchema, table, computed })
  if (batch.newFields.length) {
    const declared = new Map(schema.fields.map((f) => [f.name, f]))
    schema = { ...batch.schema, fields: batch.schema.fields.map((f) => declared.get(f.name) ?? f) }
    schemaChanged = true
  }

  let metadata: Metadata | undefined
  let protocol: Protocol | undefined
  if (schemaChanged) {
    checkSchemaNames(schema, '', table)
    partitionColumns = partitionFields(schema, partitionColumns, table).map((f) => f.name)
    const change = schemaChange(snapshot, schema, { partitionColumns, extraFeatures: WRITE_EXTRA_FEATURES })
    ;({ schema, metadata, protocol } = change)
  }
  applyGeneratedColumns(schema, batch.columns, batch.numRows, table)
  const identity = assignIdentityValues(schema, batch.columns, batch.numRows, table)
  if (identity.schema) {
    // The advanced high water mark is part of this commit (PROTOCOL.md "Identity Columns").
    schema = identity.schema
    metadata = { ...(metadata ?? snapshot.metadata), schemaString: serializeSchema(schema) }
  }
  checkRowRules(schema, (metadata ?? snapshot.metadata).configuration, valuesBatch(batch.columns, batch.numRows), table)
  return { batch, schema, metadata, protocol, partitionColumns }
}

/** Schema of the data itself (overwriteSchema): Arrow's schema, or inferred from plain objects. */
function schemaOfData(data: WriteData, table: string): StructType {
  if (!Array.isArray(data)) {
    const s = fromArrowSchema((data as arrow.Table).schema)
    return { type: 'struct', fields: s.fields.map((f) => ({ ...f, nullable: true })) }
  }
  const rows = data as ReadonlyArray<Record<string, unknown>>
  const keys: string[] = []
  const seen = new Set<string>()
  for (const r of rows) for (const k of Object.keys(r)) if (!seen.has(k)) { seen.add(k); keys.push(k) }
  if (keys.length === 0) throw new SchemaMismatchError(`cannot take a schema from data without columns (table ${table})`, { table })
  const fields: StructField[] = keys.map((k) => {
    const t = inferFromValues(rows.map((r) => r[k]).filter((v) => v !== null && v !== undefined), k)
    if (!t) throw new SchemaMismatchError(`cannot infer a type for column ${k}: it holds only nulls`, { column: k, table })
    return { name: k, type: t, nullable: true, metadata: {} }
  })
  return { type: 'struct', fields }
}

async function writeFiles(snapshot: Snapshot, plan: PlannedWrite, columns: Map<string, ColumnValues>, numRows: number, opts: WriteFilesOptions, hiddenFields?: StructField[]) {
  const configuration = (plan.metadata ?? snapshot.metadata).configuration
  return writeDataFiles({
    store: snapshot.store, table: snapshot.tableUrl, schema: plan.schema, partitionColumns: plan.partitionColumns,
    configuration, mode: columnMappingMode(configuration),
    tightBounds: supportsDeletionVectors(plan.protocol ?? snapshot.protocol),
    materializePartitionColumns: materializesPartitionColumns(plan.protocol ?? snapshot.protocol, configuration),
    ...(hiddenFields ? { hiddenFields } : {}),
    statsAlways: clusteringFields(snapshot).map((f) => f.name),
  }, columns, numRows, opts)
}

function alreadyApplied(snapshot: Snapshot, txn: { appId: string; version: number } | undefined): boolean {
  if (!txn) return false
  const v = snapshot.txns.get(txn.appId)
  return v !== undefined && v >= txn.version
}

// ───────────────────────────── append ─────────────────────────────

/** Append `data` to the table of `snapshot` in one commit. */
export async function append(snapshot: Snapshot, data: WriteData, opts: AppendOptions = {}): Promise<WriteResult> {
  if (alreadyApplied(snapshot, opts.txn)) return { version: snapshot.version, metrics: { numFiles: 0, numOutputRows: 0, numOutputBytes: 0 } }
  const plan = planWrite(snapshot, data, { mergeSchema: opts.mergeSchema })
  const written = await writeFiles(snapshot, plan, plan.batch.columns, plan.batch.numRows, opts)
  const protocol = plan.protocol ?? snapshot.protocol
  const configuration = (plan.metadata ?? snapshot.metadata).configuration
  const txn = Transaction.on(snapshot, {
    operation: 'WRITE',
    operationParameters: { mode: 'Append', partitionBy: plan.partitionColumns },
  })
  stampRowTracking(snapshot, protocol, configuration, written.adds, txn, false)
  if (plan.protocol) txn.setProtocol(plan.protocol)
  if (plan.metadata) txn.setMetadata(plan.metadata)
  if (opts.txn) txn.setTxn(opts.txn.appId, opts.txn.version)
  txn.addFiles(written.adds)
  txn.blindAppend = !plan.metadata && !plan.protocol
  txn.metrics = { numFiles: written.adds.length, numOutputRows: written.numOutputRows, numOutputBytes: written.numOutputBytes }
  const r = await txn.commit()
  return { version: r.version, metrics: txn.metrics }
}

// ───────────────────────────── overwrite ─────────────────────────────

function isAppendOnly(snapshot: Snapshot): boolean {
  return snapshot.properties['delta.appendOnly'] === 'true'
}

/** Replace the table's rows: all of them, or those matching `replaceWhere`. One commit. */
export async function overwrite(snapshot: Snapshot, data: WriteData, opts: OverwriteOptions = {}): Promise<WriteResult> {
  const table = snapshot.tableUrl
  if (isAppendOnly(snapshot)) {
    throw new ConstraintViolationError(`table ${table} is append-only (delta.appendOnly = true): overwrite would remove data`, { table, version: snapshot.version })
  }
  if (opts.replaceWhere !== undefined && opts.overwriteSchema) {
    throw new InvalidArgumentError(`replaceWhere and overwriteSchema cannot be combined (table ${table})`, { table })
  }
  if (alreadyApplied(snapshot, opts.txn)) return { version: snapshot.version, metrics: { numFiles: 0, numOutputRows: 0, numOutputBytes: 0, numRemovedFiles: 0 } }
  const plan = planWrite(snapshot, data, { mergeSchema: opts.mergeSchema, overwriteSchema: opts.overwriteSchema, partitionBy: opts.partitionBy })
  const now = Date.now()
  const removes: RemoveFile[] = []
  const rewrites: Array<{ columns: Map<string, ColumnValues>; numRows: number }> = []
  let copiedRows = 0
  let predicateSql: string | undefined
  let read: PlanReads
  let hidden: StructField[] | undefined

  if (opts.replaceWhere === undefined) {
    for (const a of snapshot.activeFiles()) removes.push(removeOf(a, now))
    read = { wholeTable: true }
  } else {
    predicateSql = typeof opts.replaceWhere === 'string' ? opts.replaceWhere : exprToSql(opts.replaceWhere as Expr)
    const bound = bindPredicate(opts.replaceWhere, plan.schema, { what: 'replaceWhere', table })
    const ok = evalPredicateRows(bound, valuesBatch(plan.batch.columns, plan.batch.numRows))
    const bad = ok.indexOf(0)
    if (bad >= 0) throw new ConstraintViolationError(`row ${bad} of the data does not satisfy replaceWhere ${predicateSql}`, { table })
    const info: SnapshotInfo = { schema: snapshot.schema, partitionColumns: snapshot.partitionColumns, configuration: snapshot.properties }
    // Copied rows keep their stable row ids and commit versions (PROTOCOL.md "Row Tracking").
    hidden = rowTrackingActive(snapshot.protocol, snapshot.properties) && rowTrackingEnabled(snapshot) ? materializedFields(snapshot.properties) : undefined
    const fields = [...snapshot.schema.fields.filter((f) => f.type !== 'void'), ...(hidden ?? [])]
    const readOpts = hidden ? { rowTracking: { id: hidden[0].name, version: hidden[1].name } } : {}
    for (const a of selectFiles(snapshot.activeFiles(), info, bound)) {
      if (predicateCoversFile(bound, a, info, true)) { removes.push(removeOf(a, now)); continue }
      // Partly covered: keep the rows the predicate does not select (FALSE or NULL) in a new file.
      const kept = new Map<string, DeltaValue[]>(fields.map((f) => [f.name, []]))
      let total = 0
      let keptRows = 0
      for await (const b of readFileValues(snapshot, a, fields, undefined, 65_536, readOpts)) {
        const cols = new Map(b.fields.map((f, j) => [f.name, b.columns[j]]))
        const hit = evalPredicateRows(bound, valuesBatch(cols, b.length))
        total += b.length
        for (let i = 0; i < b.length; i++) {
          if (hit[i] === 1) continue
          keptRows++
          for (const [name, values] of cols) kept.get(name)!.push(values[i])
        }
      }
      if (keptRows === total) continue // nothing in this file matches
      if (keptRows > 0 && snapshot.properties['delta.enableChangeDataFeed'] === 'true') {
        throw new UnsupportedFeatureError(`replaceWhere ${predicateSql} would rewrite part of file ${a.path}; writing its change data (changeDataFeed) is not supported yet`, { table, file: a.path })
      }
      removes.push(removeOf(a, now))
      if (keptRows > 0) { rewrites.push({ columns: kept, numRows: keptRows }); copiedRows += keptRows }
    }
    read = { predicates: [bound], files: removes.map((r) => r.path) }
  }

  const written = await writeFiles(snapshot, plan, plan.batch.columns, plan.batch.numRows, opts)
  const adds = [...written.adds]
  let bytes = written.numOutputBytes
  for (const r of rewrites) {
    const w = await writeFiles(snapshot, plan, r.columns, r.numRows, opts, hidden)
    adds.push(...w.adds)
    bytes += w.numOutputBytes
  }
  const params: Record<string, unknown> = { mode: 'Overwrite', partitionBy: plan.partitionColumns }
  if (predicateSql !== undefined) params.predicate = [predicateSql]
  const protocol = plan.protocol ?? snapshot.protocol
  const configuration = (plan.metadata ?? snapshot.metadata).configuration
  const txn = Transaction.on(snapshot, { operation: 'WRITE', operationParameters: params, read })
  stampRowTracking(snapshot, protocol, configuration, adds, txn)
  if (plan.protocol) txn.setProtocol(plan.protocol)
  if (plan.metadata) txn.setMetadata(plan.metadata)
  if (opts.txn) txn.setTxn(opts.txn.appId, opts.txn.version)
  txn.removeFiles(removes).addFiles(adds)
  txn.metrics = {
    numFiles: adds.length, numOutputRows: written.numOutputRows + copiedRows, numOutputBytes: bytes,
    numRemovedFiles: removes.length, numRemovedBytes: removes.reduce((n, r) => n + (r.size ?? 0), 0), numCopiedRows: copiedRows,
  }
  const r = await txn.commit()
  return { version: r.version, metrics: txn.metrics }
}
