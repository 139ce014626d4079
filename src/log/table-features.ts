// The protocol gate (PROTOCOL.md "Table Features", "Reader Version Requirements"): the one list of
// reader features lagomago implements. A table that needs anything else is refused with an error
// naming the feature, because reading it without that feature's rules would return wrong data.
import { UnsupportedFeatureError } from '../errors.js'
import type { Protocol } from './actions.js'

/**
 * Reader features we read correctly.
 * - `typeWidening(-preview)`: the Parquet files hold the narrower type; the scan widens on read.
 * - `variantType(-preview)`: variant columns come back as { metadata, value } (unshredded only).
 * - `vacuumProtocolCheck`: only constrains VACUUM, which checks the protocol first anyway.
 * - `domainMetadata`, `v2Checkpoint`: handled by the log layer.
 * Not supported, on purpose: `geospatial` (no value model for geometry/geography yet),
 * `collations` (comparisons and skipping would follow the wrong order), `variantShredding(-preview)`
 * (shredded columns need reassembly we do not do). Tables using them fail to open.
 */
export const SUPPORTED_READER_FEATURES: readonly string[] = [
  'columnMapping',
  'deletionVectors',
  'timestampNtz',
  'v2Checkpoint',
  'vacuumProtocolCheck',
  'typeWidening',
  'typeWidening-preview',
  'variantType',
  'variantType-preview',
  'domainMetadata',
]

/** Highest reader version we implement: 3 is "table features". */
export const MAX_READER_VERSION = 3

/** Throw UnsupportedFeatureError unless lagomago can read a table with this protocol. */
export function checkReaderSupport(protocol: Protocol, ctx: { table?: string; version?: number } = {}): void {
  const rv = protocol.minReaderVersion
  if (!Number.isInteger(rv) || rv < 1 || rv > MAX_READER_VERSION) {
    throw new UnsupportedFeatureError(
      `table ${ctx.table ?? ''} requires reader version ${rv}; lagomago reads protocol versions 1 to ${MAX_READER_VERSION}`.replace('table  ', 'table '),
      ctx,
    )
  }
  if (rv < 3) return // versions 1 and 2 imply features (column mapping at 2) that we support
  for (const f of protocol.readerFeatures ?? []) {
    if (!SUPPORTED_READER_FEATURES.includes(f)) {
      throw new UnsupportedFeatureError(`table ${ctx.table ?? ''} requires reader feature ${JSON.stringify(f)}, which lagomago does not support`.replace('table  ', 'table '), ctx)
    }
  }
}

/** Whether the protocol lists (or, for legacy versions, implies) a reader feature. */
export function hasReaderFeature(protocol: Protocol, feature: string): boolean {
  if (protocol.minReaderVersion >= 3) return protocol.readerFeatures?.includes(feature) ?? false
  if (feature === 'columnMapping') return protocol.minReaderVersion >= 2
  return false
}

/** Whether the protocol lists (or, for legacy writer versions, implies) a writer feature. */
export function hasWriterFeature(protocol: Protocol, feature: string): boolean {
  if (protocol.minWriterVersion >= 7) return protocol.writerFeatures?.includes(feature) ?? false
  const legacy: Record<string, number> = {
    appendOnly: 2, invariants: 2, checkConstraints: 3, changeDataFeed: 4, generatedColumns: 4,
    columnMapping: 5, identityColumns: 6,
  }
  const need = legacy[feature]
  return need !== undefined && protocol.minWriterVersion >= need
}
