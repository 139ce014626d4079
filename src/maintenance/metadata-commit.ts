// One metadata change as one commit: the new metaData (schema, partitioning, configuration) plus the
// protocol upgrade the change needs, under Delta's conflict rules (a concurrent metadata change always
// conflicts; a change validated against every row also conflicts with concurrent data changes).
import { ConcurrentTransactionError, InvalidArgumentError, UnsupportedFeatureError } from '../errors.js'
import type { Metadata, Protocol } from '../log/actions.js'
import type { Snapshot } from '../log/snapshot.js'
import { serializeSchema, type StructType } from '../schema/types.js'
import { Transaction } from '../txn/transaction.js'
import { checkWriteSupport, featuresInUse, rowTrackingActive, rowTrackingConfiguration } from '../write/features.js'
import { noRebaseWithRowIds, stampRowTracking } from '../write/operations.js'
import { nowOf, protocolWith, type Clock } from './common.js'

/** The commit an ALTER-style call (properties, columns, constraints) made. */
export interface AlterResult {
  version: number
  metrics: Record<string, number>
}

/** Options of the ALTER-style calls. */
export interface AlterOptions {
  now?: Clock
}

export const CONSTRAINT_PREFIX = 'delta.constraints.'
export const MAPPING_MODE = 'delta.columnMapping.mode'
export const MAX_COLUMN_ID = 'delta.columnMapping.maxColumnId'

export interface Change {
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

export async function commitChange(snapshot: Snapshot, change: Change, opts: AlterOptions): Promise<AlterResult> {
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
  // Identity columns constrain only inserts; a metadata change writes no rows.
  checkWriteSupport(protocol, change.schema, change.configuration, table, snapshot.version, ['identityColumns', 'rowTracking'])
  const supports = (p: Protocol) => p.minWriterVersion >= 7 && (p.writerFeatures ?? []).includes('rowTracking')
  const enabling = change.configuration['delta.enableRowTracking'] === 'true' && snapshot.properties['delta.enableRowTracking'] !== 'true'
  if (enabling && change.configuration['delta.rowTrackingSuspended'] === 'true') {
    throw new InvalidArgumentError(`delta.enableRowTracking and delta.rowTrackingSuspended cannot both be true (PROTOCOL.md "Row Tracking") (table ${table})`, { table })
  }
  if (enabling) change.configuration = rowTrackingConfiguration(change.configuration)
  // Row tracking newly supported or enabled: every file without row ids gets them now, re-added
  // with fresh ones in this commit (PROTOCOL.md "Writer Requirements for Row Tracking": a backfill).
  const backfill = (enabling || (supports(protocol) && !supports(snapshot.protocol))) && rowTrackingActive(protocol, change.configuration)
    ? snapshot.activeFiles().filter((a) => a.baseRowId === undefined || a.baseRowId === null).map((a) => ({ ...a, dataChange: false }))
    : []
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
    conflictCheck: backfill.length ? noRebaseWithRowIds(table) : change.exclusive
      ? (winner) => { throw new ConcurrentTransactionError(`concurrent commit (version ${winner.version}) landed while ${change.operation} was committing on table ${table}; rerun it`, { table, version: winner.version }) }
      : undefined,
    now: () => nowOf(opts.now),
  })
  if (upgraded) txn.setProtocol(upgraded)
  txn.setMetadata(metadata)
  if (backfill.length) {
    stampRowTracking(snapshot, protocol, change.configuration, backfill, txn)
    txn.addFiles(backfill)
  }
  const r = await txn.commit()
  return { version: r.version, metrics: {} }
}
