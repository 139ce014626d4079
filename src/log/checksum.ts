// Version checksum files (PROTOCOL.md "Version Checksum File"): `_delta_log/<version>.crc`, one JSON
// object describing the table state at that version, written by the committer after its commit so
// that readers (Spark, delta-kernel) can validate the state or take protocol and metadata from it.
import stringify from 'fast-json-stable-stringify'
import type { DomainMetadata, Metadata, Protocol } from './actions.js'
import { inCommitTimestampsEnabled, type Snapshot } from './snapshot.js'
import { LOG_DIR } from './log-path.js'

export interface VersionChecksum {
  txnId?: string
  tableSizeBytes: number
  numFiles: number
  numMetadata: 1
  numProtocol: 1
  inCommitTimestampOpt?: number
  domainMetadata?: DomainMetadata[]
  metadata: Metadata
  protocol: Protocol
  numDeletedRecordsOpt: number
  numDeletionVectorsOpt: number
}

export function checksumKey(version: number): string {
  return `${LOG_DIR}${String(version).padStart(20, '0')}.crc`
}

/** The checksum of `snapshot`'s version, from its reconciled state. */
export function versionChecksum(snapshot: Snapshot): VersionChecksum {
  let bytes = 0
  let deleted = 0
  let dvs = 0
  const files = snapshot.activeFiles()
  for (const a of files) {
    bytes += a.size
    if (a.deletionVector) { dvs++; deleted += a.deletionVector.cardinality }
  }
  const out: VersionChecksum = {
    tableSizeBytes: bytes,
    numFiles: files.length,
    numMetadata: 1,
    numProtocol: 1,
    metadata: snapshot.metadata,
    protocol: snapshot.protocol,
    numDeletedRecordsOpt: deleted,
    numDeletionVectorsOpt: dvs,
  }
  const txnId = snapshot.commitInfo?.txnId
  if (typeof txnId === 'string') out.txnId = txnId
  if (inCommitTimestampsEnabled(snapshot.metadata)) out.inCommitTimestampOpt = snapshot.timestamp
  // No setTransactions: Spark validates the .crc before each of its commits and compares whole txn
  // actions (lastUpdated included, expired ones dropped), which the snapshot does not keep. The
  // field is optional; a wrong one would make Spark refuse the table.
  out.domainMetadata = [...snapshot.domainMetadata.values()].filter((d) => !d.removed)
  return out
}

/**
 * Write the checksum of `snapshot`'s version. Optional by the protocol, so a caller after a commit
 * reports a failure as a warning (table/post-commit.ts) rather than failing the write.
 */
export async function writeVersionChecksum(snapshot: Snapshot): Promise<void> {
  // Not flushed to disk: after a crash a missing or empty .crc is ignored by readers (Spark, kernel).
  await snapshot.store.put(checksumKey(snapshot.version), new TextEncoder().encode(stringify(versionChecksum(snapshot))), { durable: false })
}
