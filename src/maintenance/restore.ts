// RESTORE: one new commit that brings the table back to the state of an earlier version: the old
// version's files (with their deletion vectors) that are no longer active are re-added, files added
// since are removed, and the old schema and properties come back (the protocol never goes down).
// Every re-added file must still exist: a version whose files VACUUM deleted fails with a
// MissingFileError naming the first missing file, before anything is committed.
import { ConstraintViolationError, InvalidArgumentError, MissingFileError } from '../errors.js'
import { fileKey, type AddFile, type Metadata, type RemoveFile } from '../log/actions.js'
import { loadSnapshot, type Snapshot } from '../log/snapshot.js'
import { dvStoreKey } from '../scan/deletion-vectors.js'
import { Transaction } from '../txn/transaction.js'
import { parseTimestampArg } from '../log/time-travel.js'
import { checkWriteSupport, featuresInUse, rowTrackingActive } from '../write/features.js'
import { noRebaseWithRowIds, removeOf, stampRowTracking } from '../write/operations.js'
import { nowOf, protocolWith, type Clock } from './common.js'
import { optionKeys } from '../options.js'

/** Options of `DeltaTable.restore`: the version (or timestamp) to restore the table to. */
export interface RestoreOptions {
  version?: number
  /** ISO string (UTC when no zone), Date or epoch ms: the version current at that time. */
  timestamp?: string | Date | number
  now?: Clock
}
export const RESTORE_OPTION_KEYS = optionKeys<RestoreOptions>()(['version', 'timestamp', 'now'])

/** The commit `restore` made and the version it restored. */
export interface RestoreResult {
  version: number
  /** The version whose state was restored. */
  restoredVersion: number
  metrics: Record<string, number>
}

function sameMetadata(a: Metadata, b: Metadata): boolean {
  return a.schemaString === b.schemaString && JSON.stringify(a.partitionColumns) === JSON.stringify(b.partitionColumns) &&
    JSON.stringify(Object.entries(a.configuration).sort()) === JSON.stringify(Object.entries(b.configuration).sort()) &&
    (a.name ?? null) === (b.name ?? null) && (a.description ?? null) === (b.description ?? null)
}

/** Throw MissingFileError for the first file (or DV file) of `adds` that is gone from storage. */
async function checkFilesExist(snapshot: Snapshot, adds: AddFile[], restoredVersion: number): Promise<void> {
  const table = snapshot.tableUrl
  const keys: { key: string; what: string }[] = []
  for (const a of adds) {
    keys.push({ key: snapshot.resolvePath(a.path), what: `data file ${a.path}` })
    const dv = a.deletionVector ? dvStoreKey(a.deletionVector, snapshot) : undefined
    if (dv !== undefined) keys.push({ key: dv, what: `deletion vector file ${dv} of ${a.path}` })
  }
  let next = 0
  let missing: { key: string; what: string } | undefined
  const worker = async (): Promise<void> => {
    while (next < keys.length && !missing) {
      const k = keys[next++]
      if (!(await snapshot.store.head(k.key))) missing ??= k
    }
  }
  await Promise.all(Array.from({ length: Math.min(16, keys.length) }, worker))
  if (missing) {
    throw new MissingFileError(
      `cannot restore table ${table} to version ${restoredVersion}: ${missing.what} no longer exists (deleted by VACUUM?); ` +
      'restore a version inside the retention window instead',
      { table, version: restoredVersion, file: missing.key },
    )
  }
}

/** Restore the table of `snapshot` (its current state) to an earlier version or timestamp. */
export async function restore(snapshot: Snapshot, opts: RestoreOptions): Promise<RestoreResult> {
  const table = snapshot.tableUrl
  if ((opts.version === undefined) === (opts.timestamp === undefined)) {
    throw new InvalidArgumentError(`restore needs exactly one of version or timestamp (table ${table})`, { table })
  }
  const target = await loadSnapshot(snapshot.store, { version: opts.version, timestamp: opts.timestamp, allowExternalPaths: snapshot.allowExternalPaths })
  if (target.version > snapshot.version) {
    throw new InvalidArgumentError(`cannot restore table ${table} to version ${target.version}: it is newer than the current version ${snapshot.version}`, { table, version: target.version })
  }
  const current = new Map(snapshot.activeFiles().map((a) => [fileKey(a.path, a.deletionVector), a]))
  const wanted = new Map(target.activeFiles().map((a) => [fileKey(a.path, a.deletionVector), a]))
  const toAdd = [...wanted].filter(([k]) => !current.has(k)).map(([, a]) => a)
  const toRemove = [...current].filter(([k]) => !wanted.has(k)).map(([, a]) => a)

  const metadataChanged = !sameMetadata(snapshot.metadata, target.metadata)
  const metadata: Metadata = { ...target.metadata, id: snapshot.metadata.id, configuration: { ...target.metadata.configuration } }
  // Column ids only grow (PROTOCOL.md "Writer Requirements for Column Mapping"): keep the larger one.
  const maxId = Math.max(Number(snapshot.properties['delta.columnMapping.maxColumnId'] ?? 0), Number(target.properties['delta.columnMapping.maxColumnId'] ?? 0))
  if (maxId > 0) metadata.configuration['delta.columnMapping.maxColumnId'] = String(maxId)
  const upgraded = protocolWith(snapshot.protocol, featuresInUse(target.schema, metadata.configuration))
  const protocol = upgraded ?? snapshot.protocol
  // Identity columns constrain only inserts; RESTORE re-adds rows with the values they had.
  // Row tracking: restored files keep their baseRowId and defaultRowCommitVersion, so restored rows
  // get their stable ids and commit versions back (PROTOCOL.md "Row IDs"); their set is the old
  // version's, unique then and now.
  checkWriteSupport(protocol, target.schema, metadata.configuration, table, snapshot.version, ['identityColumns', 'rowTracking'])
  if (toRemove.length > 0 && snapshot.properties['delta.appendOnly'] === 'true') {
    throw new ConstraintViolationError(`table ${table} is append-only (delta.appendOnly = true): restoring version ${target.version} would remove data`, { table, version: snapshot.version })
  }
  await checkFilesExist(snapshot, toAdd, target.version)

  const now = nowOf(opts.now)
  const adds: AddFile[] = toAdd.map((a) => ({ ...a, dataChange: true }))
  const fresh = rowTrackingActive(protocol, metadata.configuration) ? adds.filter((a) => a.baseRowId === undefined || a.baseRowId === null) : []
  const removes: RemoveFile[] = toRemove.map((a) => removeOf(a, now))
  const sum = (xs: { size?: number | null }[]) => xs.reduce((n, x) => n + (x.size ?? 0), 0)
  const metrics = {
    tableSizeAfterRestore: sum(target.activeFiles()), numOfFilesAfterRestore: target.activeFiles().length,
    numRemovedFiles: removes.length, numRestoredFiles: adds.length, removedFilesSize: sum(removes), restoredFilesSize: sum(adds),
  }
  const txn = Transaction.on(snapshot, {
    operation: 'RESTORE',
    operationParameters: { version: opts.version ?? target.version, timestamp: opts.timestamp === undefined ? undefined : new Date(parseTimestampArg(opts.timestamp, table)).toISOString() },
    // The restored state replaces the whole table: any concurrent change to it is a conflict.
    read: { wholeTable: true },
    now: () => nowOf(opts.now),
  })
  // Files from before row tracking was supported get fresh ids now (every add must have them).
  stampRowTracking(snapshot, protocol, metadata.configuration, fresh, txn)
  if (upgraded) txn.setProtocol(upgraded)
  if (metadataChanged) txn.setMetadata(metadata)
  txn.removeFiles(removes).addFiles(adds)
  txn.metrics = metrics
  const r = await txn.commit()
  return { version: r.version, restoredVersion: target.version, metrics }
}
