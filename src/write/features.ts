// Table features on the write side (PROTOCOL.md "Table Features", "Writer Version Requirements"):
// the lowest protocol that covers what a new table uses, the writer features lagomago honours, the
// refusal (before anything is written) of tables that need one it does not, and column mapping ids.
import { UnsupportedFeatureError } from '../errors.js'
import type { Metadata, Protocol } from '../log/actions.js'
import type { Snapshot } from '../log/snapshot.js'
import { checkReaderSupport } from '../log/table-features.js'
import { isArray, isMap, isStruct, serializeSchema, type DataType, type StructField, type StructType } from '../schema/types.js'

/** Reader+writer features (listed in both lists under reader version 3). */
const READER_WRITER = new Set(['columnMapping', 'deletionVectors', 'timestampNtz', 'v2Checkpoint', 'vacuumProtocolCheck', 'typeWidening', 'typeWidening-preview', 'variantType', 'variantType-preview'])

/**
 * Writer features whose rules the write path (append, overwrite, replaceWhere) follows.
 * - changeDataFeed: whole-file adds/removes need no `_change_data` (CDF readers derive them); a
 *   partial-file rewrite with CDF on is refused at the operation.
 * - deletionVectors: removes carry the file's DV; new files have none.
 * - v2Checkpoint: writers may always write classic V1 checkpoints (PROTOCOL.md "Checkpoints").
 * - typeWidening, variantType: files are written with the current schema types.
 * - materializePartitionColumns: every data file also holds the partition columns (materializesPartitionColumns).
 * - clustering (and its older name liquid): appends and DML write unclustered files (no
 *   clusteringProvider) with stats for the clustering columns; OPTIMIZE clusters (clustering.ts).
 * - rowTracking: new files get fresh row ids above the high water mark; with it enabled, every
 *   operation that copies or updates rows keeps their stable ids in the materialized columns.
 */
export const SUPPORTED_WRITER_FEATURES: readonly string[] = [
  'appendOnly', 'invariants', 'checkConstraints', 'generatedColumns', 'changeDataFeed', 'columnMapping',
  'timestampNtz', 'deletionVectors', 'domainMetadata', 'inCommitTimestamp', 'vacuumProtocolCheck',
  'v2Checkpoint', 'typeWidening', 'typeWidening-preview', 'variantType', 'variantType-preview',
  'materializePartitionColumns', 'rowTracking', 'clustering', 'liquid',
]

/** Features implied by legacy writer versions (PROTOCOL.md "Writer Version Requirements"). */
const LEGACY_WRITER: Array<[string, number]> = [
  ['appendOnly', 2], ['invariants', 2], ['checkConstraints', 3], ['changeDataFeed', 4], ['generatedColumns', 4],
  ['columnMapping', 5], ['identityColumns', 6],
]

/** Throw UnsupportedFeatureError unless lagomago can write a table with this protocol and schema. */
/**
 * `extra`: features the calling operation implements beyond the common list (append and overwrite
 * assign row ids, so they pass `['rowTracking']`).
 */
export function checkWriteSupport(protocol: Protocol, schema: StructType, configuration: Record<string, string>, table?: string, version?: number, extra: readonly string[] = []): void {
  const ctx = { table, version }
  checkReaderSupport(protocol, ctx)
  if (protocol.minWriterVersion > 7) {
    throw new UnsupportedFeatureError(`table ${table} requires writer version ${protocol.minWriterVersion}; lagomago writes versions up to 7`, ctx)
  }
  const needed = protocol.minWriterVersion >= 7 ? (protocol.writerFeatures ?? []) : LEGACY_WRITER.filter(([, v]) => protocol.minWriterVersion >= v).map(([f]) => f)
  for (const f of needed) {
    if (SUPPORTED_WRITER_FEATURES.includes(f) || extra.includes(f)) continue
    // Supported but inactive features impose nothing (PROTOCOL.md "Active Features").
    if (f === 'identityColumns' && !hasIdentityColumn(schema)) continue
    throw new UnsupportedFeatureError(`table ${table} requires writer feature ${JSON.stringify(f)}, which lagomago cannot write yet`, ctx)
  }
}

function anyField(schema: StructType, pred: (f: StructField) => boolean): boolean {
  const visit = (t: DataType): boolean => {
    if (isStruct(t)) return t.fields.some((f) => pred(f) || visit(f.type))
    if (isArray(t)) return visit(t.elementType)
    if (isMap(t)) return visit(t.keyType) || visit(t.valueType)
    return false
  }
  return visit(schema)
}

function hasType(schema: StructType, type: string): boolean {
  const visit = (t: DataType): boolean => {
    if (typeof t === 'string') return t === type
    if (isStruct(t)) return t.fields.some((f) => visit(f.type))
    if (isArray(t)) return visit(t.elementType)
    return visit(t.keyType) || visit(t.valueType)
  }
  return visit(schema)
}

export function hasIdentityColumn(schema: StructType): boolean {
  return anyField(schema, (f) => 'delta.identity.start' in f.metadata || 'delta.identity.step' in f.metadata)
}

/** The features a table with this schema and configuration uses. */
export function featuresInUse(schema: StructType, configuration: Record<string, string>): Set<string> {
  const used = new Set<string>()
  if (configuration['delta.enableDeletionVectors'] === 'true') used.add('deletionVectors')
  if (hasType(schema, 'timestamp_ntz')) used.add('timestampNtz')
  if (hasType(schema, 'variant')) used.add('variantType')
  const mode = configuration['delta.columnMapping.mode']
  if (mode === 'name' || mode === 'id') used.add('columnMapping')
  if (configuration['delta.appendOnly'] === 'true') used.add('appendOnly')
  if (anyField(schema, (f) => 'delta.invariants' in f.metadata)) used.add('invariants')
  if (Object.keys(configuration).some((k) => k.startsWith('delta.constraints.'))) used.add('checkConstraints')
  if (anyField(schema, (f) => 'delta.generationExpression' in f.metadata)) used.add('generatedColumns')
  if (hasIdentityColumn(schema)) used.add('identityColumns')
  if (configuration['delta.enableChangeDataFeed'] === 'true') used.add('changeDataFeed')
  if (configuration['delta.enableInCommitTimestamps'] === 'true') used.add('inCommitTimestamp')
  if (configuration['delta.enableRowTracking'] === 'true') used.add('rowTracking')
  if (configuration['delta.checkpointPolicy'] === 'v2') used.add('v2Checkpoint')
  return used
}

/**
 * The lowest protocol covering `features`: legacy (1, 2…6) when every feature has a legacy version,
 * else table features (3, 7 with reader features, or 1, 7 for writer-only ones). With table features
 * the list starts from what (1, 2) implies, appendOnly and invariants, as Delta does on upgrade.
 */
export function protocolFor(features: Set<string>, base?: Protocol, implied = base === undefined): Protocol {
  const legacy = new Map(LEGACY_WRITER)
  const needsTableFeatures = [...features].some((f) => !legacy.has(f)) || (base !== undefined && base.minWriterVersion >= 7)
  if (!needsTableFeatures) {
    let writer = Math.max(2, base?.minWriterVersion ?? 2)
    for (const f of features) writer = Math.max(writer, legacy.get(f)!)
    const reader = Math.max(base?.minReaderVersion ?? 1, features.has('columnMapping') ? 2 : 1)
    return { minReaderVersion: reader, minWriterVersion: writer }
  }
  const writerFeatures = new Set<string>(implied ? ['appendOnly', 'invariants'] : [])
  const readerFeatures = new Set<string>()
  if (base) {
    // Upgrading a legacy protocol keeps every feature it implied (PROTOCOL.md "Table Features for New and Existing Tables").
    if (base.minWriterVersion >= 7) for (const f of base.writerFeatures ?? []) writerFeatures.add(f)
    else for (const [f, v] of LEGACY_WRITER) if (base.minWriterVersion >= v) writerFeatures.add(f)
    if (base.minReaderVersion >= 3) for (const f of base.readerFeatures ?? []) readerFeatures.add(f)
    else if (base.minReaderVersion >= 2) readerFeatures.add('columnMapping')
  }
  for (const f of features) {
    writerFeatures.add(f)
    if (READER_WRITER.has(f)) readerFeatures.add(f)
  }
  if (writerFeatures.has('rowTracking') || writerFeatures.has('clustering')) writerFeatures.add('domainMetadata')
  const sorted = (s: Set<string>) => [...s].sort()
  if (readerFeatures.size === 0) return { minReaderVersion: Math.max(1, base?.minReaderVersion ?? 1), minWriterVersion: 7, writerFeatures: sorted(writerFeatures) }
  return { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: sorted(readerFeatures), writerFeatures: sorted(writerFeatures) }
}

/** The union of two protocols. */
export function mergeProtocols(a: Protocol, b: Protocol): Protocol {
  const tf = a.minWriterVersion >= 7 || b.minWriterVersion >= 7
  if (!tf) return { minReaderVersion: Math.max(a.minReaderVersion, b.minReaderVersion), minWriterVersion: Math.max(a.minWriterVersion, b.minWriterVersion) }
  const feats = new Set<string>()
  for (const p of [a, b]) {
    if (p.minWriterVersion >= 7) for (const f of p.writerFeatures ?? []) feats.add(f)
    else for (const [f, v] of LEGACY_WRITER) if (p.minWriterVersion >= v) feats.add(f)
    if (p.minReaderVersion >= 3) for (const f of p.readerFeatures ?? []) feats.add(f)
    else if (p.minReaderVersion >= 2) feats.add('columnMapping')
  }
  return protocolFor(feats, undefined, false)
}

/** Same versions and feature sets (order of the lists does not matter). */
export function sameProtocol(a: Protocol, b: Protocol): boolean {
  const set = (l?: string[]) => JSON.stringify([...new Set(l ?? [])].sort())
  return a.minReaderVersion === b.minReaderVersion && a.minWriterVersion === b.minWriterVersion &&
    set(a.readerFeatures) === set(b.readerFeatures) && set(a.writerFeatures) === set(b.writerFeatures)
}

/**
 * Whether new data files hold the partition columns too (protocol RFC "Materialize Partition
 * Columns"): required by the writer feature, asked for by `delta.writePartitionColumnsToParquet`.
 * Readers still take partition values from add.partitionValues.
 */
export function materializesPartitionColumns(protocol: Protocol, configuration: Record<string, string>): boolean {
  return (protocol.minWriterVersion >= 7 && (protocol.writerFeatures ?? []).includes('materializePartitionColumns')) ||
    configuration['delta.writePartitionColumnsToParquet'] === 'true'
}

// ───────────────────────────── column mapping ─────────────────────────────

/**
 * Give every field without one a column mapping id and physical name (PROTOCOL.md "Writer
 * Requirements for Column Mapping"); returns the schema and the new `delta.columnMapping.maxColumnId`.
 */
export function assignColumnMapping(
  schema: StructType,
  maxColumnId: number,
  /** Physical name for a field that has none: a fresh `col-<uuid>`, or (enabling mapping on an existing table) its current name. */
  physicalNameOf: (f: StructField) => string = () => `col-${globalThis.crypto.randomUUID()}`,
): { schema: StructType; maxColumnId: number } {
  let max = maxColumnId
  const visitType = (t: DataType): DataType => {
    if (isStruct(t)) return { type: 'struct', fields: t.fields.map(visitField) }
    if (isArray(t)) return { ...t, elementType: visitType(t.elementType) }
    if (isMap(t)) return { ...t, keyType: visitType(t.keyType), valueType: visitType(t.valueType) }
    return t
  }
  const visitField = (f: StructField): StructField => {
    const metadata = { ...f.metadata }
    if (typeof metadata['delta.columnMapping.id'] !== 'number') metadata['delta.columnMapping.id'] = ++max
    if (typeof metadata['delta.columnMapping.physicalName'] !== 'string') metadata['delta.columnMapping.physicalName'] = physicalNameOf(f)
    return { ...f, metadata, type: visitType(f.type) }
  }
  return { schema: visitType(schema) as StructType, maxColumnId: max }
}

/** The highest column mapping id in a schema (for tables that lack `delta.columnMapping.maxColumnId`). */
export function maxColumnIdOf(schema: StructType): number {
  let max = 0
  anyField(schema, (f) => {
    const id = f.metadata['delta.columnMapping.id']
    if (typeof id === 'number' && id > max) max = id
    return false
  })
  return max
}

// ───────────────────────────── row tracking ─────────────────────────────

export const ROW_TRACKING_DOMAIN = 'delta.rowTracking'

/** Row ids must be assigned: the feature is supported and not suspended (PROTOCOL.md "Writer Requirements for Row Tracking"). */
export function rowTrackingActive(protocol: Protocol, configuration: Record<string, string>): boolean {
  return protocol.minWriterVersion >= 7 && (protocol.writerFeatures ?? []).includes('rowTracking') && configuration['delta.rowTrackingSuspended'] !== 'true'
}

/** Materialized row id / commit version column names a table enabling row tracking needs. */
export function rowTrackingConfiguration(configuration: Record<string, string>): Record<string, string> {
  const out = { ...configuration }
  out['delta.rowTracking.materializedRowIdColumnName'] ??= `_row-id-col-${globalThis.crypto.randomUUID()}`
  out['delta.rowTracking.materializedRowCommitVersionColumnName'] ??= `_row-commit-version-col-${globalThis.crypto.randomUUID()}`
  return out
}

/** The row id high water mark recorded in the `delta.rowTracking` domain (-1 when none). */
export function rowIdHighWaterMark(domainMetadata: ReadonlyMap<string, { configuration: string; removed: boolean }>): number {
  const d = domainMetadata.get(ROW_TRACKING_DOMAIN)
  if (!d || d.removed) return -1
  try {
    const v = JSON.parse(d.configuration).rowIdHighWaterMark
    return typeof v === 'number' ? v : -1
  } catch {
    return -1
  }
}

/**
 * The metadata (and the protocol, when it must grow) of an existing table whose schema becomes
 * `schema`: column mapping ids for new fields, and only the features the new schema needs (no
 * implied ones on an existing table). Refuses a result lagomago could not write.
 */
export function schemaChange(
  snapshot: Snapshot, schema: StructType, opts: { partitionColumns?: string[]; extraFeatures?: readonly string[] } = {},
): { schema: StructType; metadata: Metadata; protocol?: Protocol } {
  const configuration = { ...snapshot.properties }
  if (snapshot.columnMappingMode !== 'none') {
    const start = Number(configuration['delta.columnMapping.maxColumnId'] ?? maxColumnIdOf(snapshot.schema))
    const mapped = assignColumnMapping(schema, start)
    schema = mapped.schema
    configuration['delta.columnMapping.maxColumnId'] = String(mapped.maxColumnId)
  }
  const metadata: Metadata = { ...snapshot.metadata, schemaString: serializeSchema(schema), configuration, ...(opts.partitionColumns ? { partitionColumns: opts.partitionColumns } : {}) }
  const next = mergeProtocols(snapshot.protocol, protocolFor(featuresInUse(schema, configuration), undefined, false))
  checkWriteSupport(next, schema, configuration, snapshot.tableUrl, snapshot.version, opts.extraFeatures)
  return { schema, metadata, ...(sameProtocol(next, snapshot.protocol) ? {} : { protocol: next }) }
}
