// Pieces every maintenance operation shares: table durations (`delta.deletedFileRetentionDuration`,
// `delta.logRetentionDuration`) parsed from Spark interval text, the post-commit step (checkpoint,
// then expired-log cleanup) and the clock option tests inject.
import { InvalidArgumentError } from '../errors.js'
import { parseIntervalMs, shouldCheckpoint, writeCheckpoint } from '../log/checkpoint-write.js'
import type { Protocol } from '../log/actions.js'
import { loadSnapshot } from '../log/snapshot.js'
import { hasWriterFeature } from '../log/table-features.js'
import { mergeProtocols, protocolFor } from '../write/features.js'
import type { ObjectStore } from '../storage/object-store.js'
import { cleanupExpiredLogs } from './log-cleanup.js'

export const HOUR_MS = 3_600_000
export const DAY_MS = 24 * HOUR_MS
/** Spark's default `delta.deletedFileRetentionDuration`: interval 1 week. */
export const DEFAULT_DELETED_FILE_RETENTION_MS = 7 * DAY_MS
/** Spark's default `delta.logRetentionDuration`: interval 30 days. */
export const DEFAULT_LOG_RETENTION_MS = 30 * DAY_MS

/** A clock: epoch ms, or a function returning it (tests simulate time with it). */
export type Clock = number | (() => number)

export function nowOf(clock: Clock | undefined): number {
  if (clock === undefined) return Date.now()
  return typeof clock === 'number' ? clock : clock()
}

/**
 * A duration table property (`interval 7 days`, `168 hours`, `1 week`) in ms; the default when unset.
 * An unparsable value is an error naming the property: guessing a retention could delete data.
 */
export function tableDurationMs(configuration: Record<string, string>, key: string, fallback: number, table?: string): number {
  const raw = configuration[key]
  if (raw === undefined || raw.trim() === '') return fallback
  const ms = parseIntervalMs(raw)
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) {
    throw new InvalidArgumentError(`table property ${key} = ${JSON.stringify(raw)} is not an interval such as 'interval 7 days'`, { table })
  }
  return ms
}

export function deletedFileRetentionMs(configuration: Record<string, string>, table?: string): number {
  return tableDurationMs(configuration, 'delta.deletedFileRetentionDuration', DEFAULT_DELETED_FILE_RETENTION_MS, table)
}

export function logRetentionMs(configuration: Record<string, string>, table?: string): number {
  return tableDurationMs(configuration, 'delta.logRetentionDuration', DEFAULT_LOG_RETENTION_MS, table)
}

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
