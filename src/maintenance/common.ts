// Steps every maintenance operation shares: the post-commit step (checkpoint, then expired-log
// cleanup) and the protocol upgrade a metadata change needs. Durations and clocks: durations.ts.
import { shouldCheckpoint, writeCheckpoint } from '../log/checkpoint-write.js'
import type { Protocol } from '../log/actions.js'
import { loadSnapshot } from '../log/snapshot.js'
import { hasWriterFeature } from '../log/table-features.js'
import { mergeProtocols, protocolFor } from '../write/features.js'
import type { ObjectStore } from '../storage/object-store.js'
import type { Clock } from './durations.js'
import { cleanupExpiredLogs } from './log-cleanup.js'

export * from './durations.js'

/**
 * After a maintenance commit: a checkpoint every `delta.checkpointInterval` versions, then expired
 * log cleanup (Delta runs it after checkpoints). Never fails the operation: the commit stands.
 */
export async function afterMaintenanceCommit(store: ObjectStore, version: number, configuration: Record<string, string>, now?: Clock): Promise<void> {
  if (!shouldCheckpoint(version, configuration)) return
  try {
    await writeCheckpoint(await loadSnapshot(store, { version }))
    await cleanupExpiredLogs(store, { now })
  } catch {
    // A missing checkpoint only costs readers a longer replay; a skipped cleanup only costs space.
  }
}

/**
 * The protocol after a change that uses `features`: undefined when the current protocol already
 * supports them all (nothing to commit), else the smallest upgrade (a protocol never goes down).
 */
export function protocolWith(current: Protocol, features: Iterable<string>): Protocol | undefined {
  const missing = [...features].filter((f) => {
    if (!hasWriterFeature(current, f)) return true
    // Legacy column mapping also needs reader version 2 (PROTOCOL.md "Column Mapping").
    return f === 'columnMapping' && current.minReaderVersion < 2
  })
  if (missing.length === 0) return undefined
  return mergeProtocols(current, protocolFor(new Set(missing), current))
}
