// Table properties as commits: set/unset with Spark's validation (known `delta.*` keys, typed
// values), `delta.feature.<name>` and legacy protocol versions, enabling column mapping on an
// existing table (each column keeps its current name as physical name, so existing files stay
// readable) and in-commit timestamps (enablement version and timestamp of this very commit).
import { InvalidArgumentError, UnsupportedFeatureError } from '../errors.js'
import type { Snapshot } from '../log/snapshot.js'
import { columnMappingMode, type StructType } from '../schema/types.js'
import { parseIsolationLevel } from '../txn/isolation.js'
import { assignColumnMapping, maxColumnIdOf, SUPPORTED_WRITER_FEATURES } from '../write/features.js'
import { nowOf, tableDurationMs } from './durations.js'
import { commitChange, CONSTRAINT_PREFIX, MAPPING_MODE, MAX_COLUMN_ID, type AlterOptions, type AlterResult } from './metadata-commit.js'

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
  return assignColumnMapping(schema, start, (f) => f.name)
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
    opts = { ...opts, now: () => ts }
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
