// Table properties and schema changes, each one commit of a new metaData (and a protocol upgrade
// when the change needs a feature): set/unset properties, add columns, rename and drop columns
// (PROTOCOL.md "Column Mapping": only with column mapping, which keeps physical names, so no data
// file is rewritten), add/drop CHECK constraints (PROTOCOL.md "CHECK Constraints": existing rows are
// validated before the commit). Enabling column mapping on an existing table keeps each column's
// current name as its physical name, so the files already written stay readable.
import { ConcurrentTransactionError, ConstraintViolationError, ExpressionError, InvalidArgumentError, SchemaMismatchError, UnsupportedFeatureError } from '../errors.js'
import { bindExpr, bindPredicate, referencedColumns } from '../expr/bind.js'
import { evalPredicateRows } from '../expr/eval.js'
import type { Metadata, Protocol } from '../log/actions.js'
import type { Snapshot } from '../log/snapshot.js'
import { scanValues } from '../scan/scan.js'
import {
  columnMappingMode, isArray, isMap, isStruct, serializeSchema, typeToString,
  type DataType, type StructField, type StructType,
} from '../schema/types.js'
import type { DeltaValue } from '../schema/values.js'
import { Transaction } from '../txn/transaction.js'
import { parseIsolationLevel } from '../txn/isolation.js'
import { valuesBatch } from '../write/constraints.js'
import { assignColumnMapping, checkWriteSupport, featuresInUse, maxColumnIdOf, SUPPORTED_WRITER_FEATURES } from '../write/features.js'
import { afterMaintenanceCommit, nowOf, protocolWith, tableDurationMs, type Clock } from './common.js'

export interface AlterResult {
  version: number
  metrics: Record<string, number>
}

export interface AlterOptions {
  now?: Clock
}

const CONSTRAINT_PREFIX = 'delta.constraints.'
const MAPPING_MODE = 'delta.columnMapping.mode'
const MAX_COLUMN_ID = 'delta.columnMapping.maxColumnId'

// ───────────────────────────── committing a metadata change ─────────────────────────────

interface Change {
  operation: string
  params: Record<string, unknown>
  schema: StructType
  configuration: Record<string, string>
  partitionColumns?: string[]
  /** The change depends on every row (a validated constraint): any concurrent data change conflicts. */
  readsAllRows?: boolean
  /** Any concurrent commit at all conflicts (in-commit timestamp enablement names the next version). */
  exclusive?: boolean
  /** Features to support besides those the schema and configuration use (`delta.feature.<name>`). */
  features?: string[]
  /** Legacy protocol versions asked for with `delta.minReaderVersion` / `delta.minWriterVersion`. */
  versions?: { reader?: number; writer?: number }
}

async function commitChange(snapshot: Snapshot, change: Change, opts: AlterOptions): Promise<AlterResult> {
  const table = snapshot.tableUrl
  const used = featuresInUse(change.schema, change.configuration)
  for (const f of change.features ?? []) used.add(f)
  let upgraded = protocolWith(snapshot.protocol, used)
  const v = change.versions
  if (v) {
    const base = upgraded ?? snapshot.protocol
    const reader = Math.max(base.minReaderVersion, v.reader ?? 0)
    const writer = Math.max(base.minWriterVersion, v.writer ?? 0)
    if (reader !== base.minReaderVersion || writer !== base.minWriterVersion) {
      if (reader > 2 || writer > 6) {
        throw new UnsupportedFeatureError(`protocol versions ${reader}/${writer} need table features: set delta.feature.<name> = 'supported' instead (table ${table})`, { table })
      }
      upgraded = { minReaderVersion: reader, minWriterVersion: writer }
    }
  }
  const protocol: Protocol = upgraded ?? snapshot.protocol
  checkWriteSupport(protocol, change.schema, change.configuration, table, snapshot.version)
  const metadata: Metadata = {
    ...snapshot.metadata,
    schemaString: serializeSchema(change.schema),
    partitionColumns: change.partitionColumns ?? snapshot.partitionColumns,
    configuration: change.configuration,
  }
  const txn = Transaction.on(snapshot, {
    operation: change.operation,
    operationParameters: change.params,
    read: change.readsAllRows ? { wholeTable: true } : {},
    conflictCheck: change.exclusive
      ? (winner) => { throw new ConcurrentTransactionError(`concurrent commit (version ${winner.version}) landed while ${change.operation} was committing on table ${table}; rerun it`, { table, version: winner.version }) }
      : undefined,
    now: () => nowOf(opts.now),
  })
  if (upgraded) txn.setProtocol(upgraded)
  txn.setMetadata(metadata)
  const r = await txn.commit()
  await afterMaintenanceCommit(snapshot.store, r.version, change.configuration, opts.now)
  return { version: r.version, metrics: {} }
}

// ───────────────────────────── properties ─────────────────────────────

const BOOLEAN_PROPERTIES = new Set([
  'delta.appendOnly', 'delta.enableChangeDataFeed', 'delta.enableDeletionVectors', 'delta.enableExpiredLogCleanup',
  'delta.enableInCommitTimestamps', 'delta.enableRowTracking', 'delta.checkpoint.writeStatsAsJson', 'delta.checkpoint.writeStatsAsStruct',
])
const DURATION_PROPERTIES = ['delta.deletedFileRetentionDuration', 'delta.logRetentionDuration', 'delta.checkpointRetentionDuration']

/** Spark's DeltaConfigs keys (without `delta.`), the only `delta.*` properties it accepts by default. */
const KNOWN_PROPERTIES = [
  'appendOnly', 'autoOptimize', 'autoOptimize.autoCompact', 'autoOptimize.optimizeWrite', 'castIcebergTimeType',
  'checkpoint.writeStatsAsJson', 'checkpoint.writeStatsAsStruct', 'checkpointInterval', 'checkpointPolicy', 'checkpointRetentionDuration',
  'columnMapping.mode', 'dataSkippingNumIndexedCols', 'dataSkippingStatsColumns', 'dataSkippingStringPrefixLength',
  'deletedFileRetentionDuration', 'dropFeatureTruncateHistory.retentionDuration', 'enableChangeDataFeed', 'enableDeletionVectors',
  'enableExpiredLogCleanup', 'enableFullRetentionRollback', 'enableIcebergCompatV1', 'enableIcebergCompatV2', 'enableIcebergCompatV3',
  'enableInCommitTimestamps', 'enableMaterializePartitionColumnsFeature', 'enableRowTracking', 'enableTypeWidening',
  'enableVariantShredding', 'ignoreIcebergBucketPartition', 'isolationLevel', 'logRetentionDuration', 'minReaderVersion', 'minWriterVersion',
  'parquet.compression.codec', 'parquet.format.version', 'randomPrefixLength', 'randomizeFilePrefixes', 'rowTrackingSuspended',
  'sampleRetentionDuration', 'setTransactionRetentionDuration', 'targetFileSize', 'tuneFileSizesForRewrites',
  'universalFormat.enabledFormats', 'writePartitionColumnsToParquet',
].map((k) => `delta.${k}`)
const KNOWN_BY_LOWER = new Map(KNOWN_PROPERTIES.map((k) => [k.toLowerCase(), k]))

/**
 * The key as stored: `delta.*` keys are matched case-insensitively to Spark's names (as Spark does);
 * an unknown `delta.*` key is refused (a typo such as `delta.deletedFileRetentionDurations` would be
 * silently ignored otherwise) unless the table already has it or `allowArbitraryProperties`.
 */
function canonicalKey(key: string, existing: Record<string, string>, allowArbitrary: boolean, table: string): string {
  if (!key.toLowerCase().startsWith('delta.') || key in existing) return key
  const known = KNOWN_BY_LOWER.get(key.toLowerCase())
  if (known) return known
  if (key.toLowerCase().startsWith(CONSTRAINT_PREFIX) || key.toLowerCase().startsWith('delta.feature.')) return key
  if (allowArbitrary) return key
  throw new InvalidArgumentError(`unknown table property ${key} (table ${table}); pass allowArbitraryProperties: true to set it anyway`, { table })
}

function validateProperty(key: string, value: string, table: string): void {
  if (typeof value !== 'string') throw new InvalidArgumentError(`table property ${key} must be a string, got ${typeof value}`, { table })
  if (key.startsWith(CONSTRAINT_PREFIX)) throw new InvalidArgumentError(`set CHECK constraints with addConstraint, not as property ${key} (table ${table})`, { table })
  if (key === MAX_COLUMN_ID) throw new InvalidArgumentError(`${MAX_COLUMN_ID} is internal to column mapping and cannot be set (table ${table})`, { table })
  if (BOOLEAN_PROPERTIES.has(key) && value !== 'true' && value !== 'false') {
    throw new InvalidArgumentError(`table property ${key} must be 'true' or 'false', got ${JSON.stringify(value)} (table ${table})`, { table })
  }
  if (DURATION_PROPERTIES.includes(key)) tableDurationMs({ [key]: value }, key, 0, table)
  if (key === 'delta.isolationLevel') parseIsolationLevel(value, table)
  if (key === 'delta.checkpointInterval' || key === 'delta.targetFileSize' || key === 'delta.dataSkippingNumIndexedCols') {
    const n = Number(value)
    if (!Number.isInteger(n) || (key === 'delta.dataSkippingNumIndexedCols' ? n < -1 : n <= 0)) {
      throw new InvalidArgumentError(`table property ${key} must be ${key === 'delta.dataSkippingNumIndexedCols' ? 'an integer >= -1' : 'a positive integer'}, got ${JSON.stringify(value)} (table ${table})`, { table })
    }
  }
}

/**
 * Column mapping `none` → `name` on an existing table: every field gets an id and keeps its
 * current name as physical name, which is what the existing files use.
 */
function enableNameMapping(schema: StructType, start: number): { schema: StructType; maxColumnId: number } {
  let max = start
  const visitType = (t: DataType): DataType => {
    if (isStruct(t)) return { type: 'struct', fields: t.fields.map(visitField) }
    if (isArray(t)) return { ...t, elementType: visitType(t.elementType) }
    if (isMap(t)) return { ...t, keyType: visitType(t.keyType), valueType: visitType(t.valueType) }
    return t
  }
  const visitField = (f: StructField): StructField => {
    const metadata = { ...f.metadata }
    if (typeof metadata['delta.columnMapping.id'] !== 'number') metadata['delta.columnMapping.id'] = ++max
    if (typeof metadata['delta.columnMapping.physicalName'] !== 'string') metadata['delta.columnMapping.physicalName'] = f.name
    return { ...f, metadata, type: visitType(f.type) }
  }
  return { schema: visitType(schema) as StructType, maxColumnId: max }
}

/**
 * Set table properties (one commit; enabling a feature upgrades the protocol). `delta.feature.<name>`
 * = `supported` adds a feature to the protocol without storing a property (PROTOCOL.md "Table
 * Features"); `delta.minReaderVersion`/`delta.minWriterVersion` raise legacy protocol versions.
 */
export async function setProperties(snapshot: Snapshot, input: Record<string, string>, opts: AlterOptions & { allowArbitraryProperties?: boolean } = {}): Promise<AlterResult> {
  const table = snapshot.tableUrl
  const entries = Object.entries(input ?? {})
  if (entries.length === 0) throw new InvalidArgumentError(`setProperties needs at least one property (table ${table})`, { table })
  const properties: Record<string, string> = {}
  const features: string[] = []
  const versions: { reader?: number; writer?: number } = {}
  for (const [raw, v] of entries) {
    const k = canonicalKey(raw, snapshot.properties, !!opts.allowArbitraryProperties, table)
    validateProperty(k, v, table)
    if (k.toLowerCase().startsWith('delta.feature.')) {
      const name = k.slice('delta.feature.'.length)
      if (v !== 'supported' && v !== 'enabled') throw new InvalidArgumentError(`${k} must be 'supported', got ${JSON.stringify(v)} (table ${table})`, { table })
      if (!SUPPORTED_WRITER_FEATURES.includes(name)) throw new UnsupportedFeatureError(`lagomago cannot write tables with feature ${JSON.stringify(name)} (table ${table})`, { table })
      features.push(name)
      continue
    }
    if (k === 'delta.minReaderVersion' || k === 'delta.minWriterVersion') {
      const n = Number(v)
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${k} must be a positive integer, got ${JSON.stringify(v)} (table ${table})`, { table })
      if (k === 'delta.minReaderVersion') versions.reader = n
      else versions.writer = n
      continue
    }
    properties[k] = v
  }
  const configuration = { ...snapshot.properties, ...properties }
  let schema = snapshot.schema
  let exclusive = false

  const before = snapshot.columnMappingMode
  const after = columnMappingMode(configuration)
  if (properties[MAPPING_MODE] !== undefined && after !== before) {
    if (before !== 'none' || after !== 'name') {
      throw new UnsupportedFeatureError(
        `cannot change ${MAPPING_MODE} from ${before} to ${properties[MAPPING_MODE]} on table ${table}: only none → name is possible without rewriting the data`,
        { table, version: snapshot.version },
      )
    }
    const mapped = enableNameMapping(schema, Math.max(Number(snapshot.properties[MAX_COLUMN_ID] ?? 0), maxColumnIdOf(schema)))
    schema = mapped.schema
    configuration[MAX_COLUMN_ID] = String(mapped.maxColumnId)
  }
  if (properties['delta.enableInCommitTimestamps'] === 'true' && snapshot.properties['delta.enableInCommitTimestamps'] !== 'true') {
    // PROTOCOL.md "In-Commit Timestamps": enablement version and timestamp are those of this commit,
    // so the commit must land exactly at the next version with the timestamp fixed here.
    const ts = Math.max(nowOf(opts.now), snapshot.timestamp + 1)
    configuration['delta.inCommitTimestampEnablementVersion'] = String(snapshot.version + 1)
    configuration['delta.inCommitTimestampEnablementTimestamp'] = String(ts)
    opts = { ...opts, now: ts }
    exclusive = true
  }
  return commitChange(snapshot, { operation: 'SET TBLPROPERTIES', params: { properties: input }, schema, configuration, exclusive, features, versions }, opts)
}

/** Remove table properties; a missing key is an error unless `ifExists`. */
export async function unsetProperties(snapshot: Snapshot, keys: string[], opts: AlterOptions & { ifExists?: boolean } = {}): Promise<AlterResult> {
  const table = snapshot.tableUrl
  if (!Array.isArray(keys) || keys.length === 0) throw new InvalidArgumentError(`unsetProperties needs at least one key (table ${table})`, { table })
  const configuration = { ...snapshot.properties }
  for (const k of keys) {
    if (k.startsWith(CONSTRAINT_PREFIX)) throw new InvalidArgumentError(`drop CHECK constraints with dropConstraint, not by unsetting ${k} (table ${table})`, { table })
    if (k === MAX_COLUMN_ID || (k === MAPPING_MODE && snapshot.columnMappingMode !== 'none')) {
      throw new UnsupportedFeatureError(`cannot unset ${k} on table ${table}: column mapping cannot be turned off without rewriting the data`, { table })
    }
    if (!(k in configuration)) {
      if (opts.ifExists) continue
      throw new InvalidArgumentError(`table ${table} has no property ${k} to unset (pass ifExists: true to ignore)`, { table })
    }
    delete configuration[k]
  }
  return commitChange(snapshot, { operation: 'UNSET TBLPROPERTIES', params: { properties: keys, ifExists: !!opts.ifExists }, schema: snapshot.schema, configuration }, opts)
}

// ───────────────────────────── columns ─────────────────────────────

export interface NewColumn {
  name: string
  type: DataType
  nullable?: boolean
  metadata?: Record<string, unknown>
  /** Dotted path of the struct column to add the field to (default: top level). */
  parent?: string
}

function checkNewName(siblings: StructField[], name: string, table: string): void {
  if (typeof name !== 'string' || name === '') throw new InvalidArgumentError(`column names must be non-empty strings (table ${table})`, { table })
  if (/[\n\r]/.test(name)) throw new InvalidArgumentError(`column name ${JSON.stringify(name)} holds a line break (table ${table})`, { table })
  if (siblings.some((f) => f.name.toLowerCase() === name.toLowerCase())) {
    throw new SchemaMismatchError(`column ${name} already exists in table ${table} (names are case-insensitive)`, { table, column: name })
  }
}

/**
 * Add nullable columns at the end of the schema, or of the struct column named by `parent` (a dotted
 * path); one commit, existing rows read them as null.
 */
export async function addColumns(snapshot: Snapshot, columns: NewColumn[], opts: AlterOptions = {}): Promise<AlterResult> {
  const table = snapshot.tableUrl
  if (!Array.isArray(columns) || columns.length === 0) throw new InvalidArgumentError(`addColumns needs at least one column (table ${table})`, { table })
  let schema: StructType = snapshot.schema
  const paths: string[] = []
  for (const c of columns) {
    if (c.nullable === false) {
      throw new SchemaMismatchError(`cannot add NOT NULL column ${c.name} to table ${table}: existing rows would hold null`, { table, column: c.name })
    }
    const metadata = { ...(c.metadata ?? {}) }
    if ('delta.generationExpression' in metadata) throw new UnsupportedFeatureError(`cannot add generated column ${c.name} to an existing table ${table}`, { table, column: c.name })
    const field: StructField = { name: c.name, type: c.type, nullable: true, metadata }
    if (c.parent === undefined || c.parent === '') {
      checkNewName(schema.fields, c.name, table)
      schema = { type: 'struct', fields: [...schema.fields, field] }
      paths.push(c.name)
      continue
    }
    const { chain, names } = locate(schema, c.parent, table)
    const last = chain[chain.length - 1]
    const parentField = last.fields[last.index]
    if (!isStruct(parentField.type)) throw new SchemaMismatchError(`column ${names.join('.')} of table ${table} is not a struct: cannot add ${c.name} to it`, { table, column: c.parent })
    checkNewName(parentField.type.fields, c.name, table)
    schema = rebuild(chain, { ...parentField, type: { type: 'struct', fields: [...parentField.type.fields, field] } })
    paths.push(`${names.join('.')}.${c.name}`)
  }
  const configuration = { ...snapshot.properties }
  if (snapshot.columnMappingMode !== 'none') {
    const mapped = assignColumnMapping(schema, Number(configuration[MAX_COLUMN_ID] ?? maxColumnIdOf(snapshot.schema)))
    schema = mapped.schema
    configuration[MAX_COLUMN_ID] = String(mapped.maxColumnId)
  }
  return commitChange(snapshot, {
    operation: 'ADD COLUMNS',
    params: { columns: columns.map((c, i) => ({ column: { name: paths[i], type: typeToString(c.type), nullable: true, metadata: c.metadata ?? {} } })) },
    schema, configuration,
  }, opts)
}

/** Resolve a dotted path to the parent struct's fields and the field index (case-insensitive). */
function locate(schema: StructType, path: string, table: string): { chain: { fields: StructField[]; index: number }[]; names: string[] } {
  const parts = path.split('.')
  const chain: { fields: StructField[]; index: number }[] = []
  const names: string[] = []
  let fields = schema.fields
  for (let i = 0; i < parts.length; i++) {
    let index = fields.findIndex((f) => f.name === parts[i])
    if (index < 0) index = fields.findIndex((f) => f.name.toLowerCase() === parts[i].toLowerCase())
    if (index < 0) throw new SchemaMismatchError(`column ${path} does not exist in table ${table}`, { table, column: path })
    chain.push({ fields, index })
    names.push(fields[index].name)
    const t = fields[index].type
    if (i < parts.length - 1) {
      if (!isStruct(t)) throw new SchemaMismatchError(`column ${names.join('.')} of table ${table} is not a struct, so ${path} does not exist`, { table, column: path })
      fields = t.fields
    }
  }
  return { chain, names }
}

/** Rebuild the schema with the field at the end of `chain` replaced (or removed when `replacement` is undefined). */
function rebuild(chain: { fields: StructField[]; index: number }[], replacement: StructField | undefined): StructType {
  let level = chain.length - 1
  let fields = [...chain[level].fields]
  if (replacement) fields[chain[level].index] = replacement
  else fields.splice(chain[level].index, 1)
  while (level > 0) {
    level--
    const parent = chain[level]
    const updated = [...parent.fields]
    updated[parent.index] = { ...parent.fields[parent.index], type: { type: 'struct', fields } }
    fields = updated
  }
  return { type: 'struct', fields }
}

/** Columns (logical dotted keys) that CHECK constraints and generated columns read, by rule. */
function dependents(snapshot: Snapshot): { rule: string; columns: string[] }[] {
  const out: { rule: string; columns: string[] }[] = []
  for (const [k, sql] of Object.entries(snapshot.properties)) {
    if (!k.startsWith(CONSTRAINT_PREFIX)) continue
    try {
      out.push({ rule: `CHECK constraint ${k.slice(CONSTRAINT_PREFIX.length)} (${sql})`, columns: referencedColumns(bindPredicate(sql, snapshot.schema)) })
    } catch { /* an unbindable rule references nothing we can name */ }
  }
  for (const f of snapshot.schema.fields) {
    const sql = f.metadata['delta.generationExpression']
    if (typeof sql !== 'string') continue
    try {
      out.push({ rule: `generated column ${f.name} (${sql})`, columns: referencedColumns(bindExpr(sql, snapshot.schema)) })
    } catch { /* idem */ }
  }
  return out
}

function checkNoDependents(snapshot: Snapshot, path: string, what: string): void {
  const lower = path.toLowerCase()
  for (const d of dependents(snapshot)) {
    const hit = d.columns.find((c) => {
      const k = c.toLowerCase()
      return k === lower || k.startsWith(`${lower}.`) || lower.startsWith(`${k}.`)
    })
    if (hit !== undefined) {
      throw new SchemaMismatchError(`cannot ${what} column ${path} of table ${snapshot.tableUrl}: ${d.rule} uses it; drop that first`, { table: snapshot.tableUrl, column: path })
    }
  }
}

/**
 * `delta.dataSkippingStatsColumns` after a rename (`to` given) or drop of `path`: entries naming the
 * column or a field inside it follow the rename or go away, so stats keep covering the same columns.
 */
function statsColumnsAfter(configuration: Record<string, string>, path: string, to?: string): Record<string, string> {
  const key = 'delta.dataSkippingStatsColumns'
  const raw = configuration[key]
  if (raw === undefined || raw.trim() === '') return configuration
  const lower = path.toLowerCase()
  const out: string[] = []
  for (const entry of raw.split(',')) {
    const name = entry.trim().replace(/`/g, '')
    const l = name.toLowerCase()
    if (l === lower || l.startsWith(`${lower}.`)) {
      if (to !== undefined) out.push(to + name.slice(path.length))
    } else if (name !== '') out.push(name)
  }
  const next = { ...configuration }
  if (out.length) next[key] = out.join(',')
  else delete next[key]
  return next
}

function requireMapping(snapshot: Snapshot, what: string): void {
  if (snapshot.columnMappingMode === 'none') {
    throw new UnsupportedFeatureError(
      `cannot ${what} on table ${snapshot.tableUrl} without column mapping; enable it first with setProperties({ '${MAPPING_MODE}': 'name' })`,
      { table: snapshot.tableUrl, version: snapshot.version },
    )
  }
}

/** Rename a (possibly nested, dotted) column; needs column mapping (physical names stay). */
export async function renameColumn(snapshot: Snapshot, from: string, to: string, opts: AlterOptions = {}): Promise<AlterResult> {
  const table = snapshot.tableUrl
  requireMapping(snapshot, `rename column ${from}`)
  const { chain, names } = locate(snapshot.schema, from, table)
  const last = chain[chain.length - 1]
  const field = last.fields[last.index]
  if (to !== field.name && to.toLowerCase() !== field.name.toLowerCase()) checkNewName(last.fields, to, table)
  if (typeof to !== 'string' || to === '' || to.includes('.')) throw new InvalidArgumentError(`new column name must be a non-empty name without dots, got ${JSON.stringify(to)} (table ${table})`, { table })
  checkNoDependents(snapshot, names.join('.'), 'rename')
  const schema = rebuild(chain, { ...field, name: to })
  const partitionColumns = chain.length === 1 ? snapshot.partitionColumns.map((c) => (c.toLowerCase() === field.name.toLowerCase() ? to : c)) : snapshot.partitionColumns
  const newPath = [...names.slice(0, -1), to].join('.')
  return commitChange(snapshot, {
    operation: 'RENAME COLUMN', params: { oldColumnPath: names.join('.'), newColumnPath: newPath },
    schema, configuration: statsColumnsAfter(snapshot.properties, names.join('.'), newPath), partitionColumns,
  }, opts)
}

/** Drop (possibly nested, dotted) columns; needs column mapping (the data stays in the files, unread). */
export async function dropColumns(snapshot: Snapshot, columns: string | string[], opts: AlterOptions = {}): Promise<AlterResult> {
  const table = snapshot.tableUrl
  const list = Array.isArray(columns) ? columns : [columns]
  if (list.length === 0) throw new InvalidArgumentError(`dropColumns needs at least one column (table ${table})`, { table })
  requireMapping(snapshot, `drop column ${list.join(', ')}`)
  let schema = snapshot.schema
  let configuration = { ...snapshot.properties }
  const dropped: string[] = []
  for (const c of list) {
    const { chain, names } = locate(schema, c, table)
    const path = names.join('.')
    if (chain.length === 1 && snapshot.partitionColumns.some((p) => p.toLowerCase() === names[0].toLowerCase())) {
      throw new SchemaMismatchError(`cannot drop partition column ${path} of table ${table}`, { table, column: path })
    }
    if (chain[chain.length - 1].fields.length === 1) {
      throw new SchemaMismatchError(`cannot drop column ${path} of table ${table}: it is the only field of its ${chain.length === 1 ? 'table' : 'struct'}`, { table, column: path })
    }
    checkNoDependents(snapshot, path, 'drop')
    schema = rebuild(chain, undefined)
    configuration = statsColumnsAfter(configuration, path)
    dropped.push(path)
  }
  return commitChange(snapshot, { operation: 'DROP COLUMNS', params: { columns: dropped }, schema, configuration }, opts)
}

// ───────────────────────────── CHECK constraints ─────────────────────────────

function constraintKey(name: string, table: string): string {
  if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new InvalidArgumentError(`constraint name must be an identifier (letters, digits, _), got ${JSON.stringify(name)} (table ${table})`, { table })
  }
  // Spark stores constraint names lower-cased; lookups are case-insensitive.
  return CONSTRAINT_PREFIX + name.toLowerCase()
}

/** Count the rows that do not satisfy `sql` (false or null); the first one for the message. */
async function findViolations(snapshot: Snapshot, sql: string, name: string): Promise<{ count: number; first?: Record<string, unknown> }> {
  const table = snapshot.tableUrl
  const bound = bindPredicate(sql, snapshot.schema, { what: `CHECK constraint ${name}`, table })
  const top = [...new Set(referencedColumns(bound).map((k) => k.split('.')[0]))]
  const columns = top.length ? top : [snapshot.schema.fields.find((f) => f.type !== 'void')?.name ?? snapshot.schema.fields[0].name]
  let count = 0
  let first: Record<string, unknown> | undefined
  for await (const b of scanValues(snapshot, { columns })) {
    const cols = new Map<string, DeltaValue[]>(b.fields.map((f, j) => [f.name, b.columns[j]]))
    const ok = evalPredicateRows(bound, valuesBatch(cols, b.length))
    for (let i = 0; i < b.length; i++) {
      if (ok[i] === 1) continue
      count++
      if (!first) first = Object.fromEntries(b.fields.map((f, j) => [f.name, b.columns[j][i]]))
    }
  }
  return { count, first }
}

function showRow(row: Record<string, unknown>): string {
  return JSON.stringify(row, (_k, v) => (typeof v === 'bigint' ? `${v}` : v instanceof Uint8Array ? `<${v.length} bytes>` : v))
}

/** Add CHECK constraint `name`; every existing row must satisfy it (PROTOCOL.md "CHECK Constraints"). */
export async function addConstraint(snapshot: Snapshot, name: string, expression: string, opts: AlterOptions = {}): Promise<AlterResult> {
  const table = snapshot.tableUrl
  const key = constraintKey(name, table)
  if (key in snapshot.properties) {
    throw new InvalidArgumentError(`table ${table} already has a CHECK constraint ${name} (${snapshot.properties[key]}); drop it first`, { table })
  }
  if (typeof expression !== 'string' || expression.trim() === '') throw new ExpressionError(`CHECK constraint ${name} needs a SQL expression (table ${table})`, { table })
  const { count, first } = await findViolations(snapshot, expression, name)
  if (count > 0) {
    throw new ConstraintViolationError(
      `cannot add CHECK constraint ${name} (${expression}) to table ${table}: ${count} existing row${count === 1 ? '' : 's'} violate it, e.g. ${showRow(first!)}`,
      { table, version: snapshot.version },
    )
  }
  return commitChange(snapshot, {
    operation: 'ADD CONSTRAINT', params: { name, expr: expression },
    schema: snapshot.schema, configuration: { ...snapshot.properties, [key]: expression }, readsAllRows: true,
  }, opts)
}

/** Drop CHECK constraint `name`; a missing one is an error unless `ifExists`. */
export async function dropConstraint(snapshot: Snapshot, name: string, opts: AlterOptions & { ifExists?: boolean } = {}): Promise<AlterResult> {
  const table = snapshot.tableUrl
  const key = constraintKey(name, table)
  const found = Object.keys(snapshot.properties).find((k) => k.toLowerCase() === key)
  if (found === undefined) {
    if (opts.ifExists) return { version: snapshot.version, metrics: {} }
    throw new InvalidArgumentError(`table ${table} has no CHECK constraint ${name} (pass ifExists: true to ignore)`, { table })
  }
  const configuration = { ...snapshot.properties }
  const expr = configuration[found]
  delete configuration[found]
  return commitChange(snapshot, { operation: 'DROP CONSTRAINT', params: { name, expr }, schema: snapshot.schema, configuration }, opts)
}
