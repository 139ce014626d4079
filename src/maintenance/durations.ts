// Durations and clocks of table maintenance: `delta.deletedFileRetentionDuration` and
// `delta.logRetentionDuration` parsed from Spark interval text, and the clock tests inject. Depends
// only on the log layer, so the write path may run log cleanup without importing the rest.
import { InvalidArgumentError } from '../errors.js'
import { parseIntervalMs } from '../log/checkpoint-write.js'

export const HOUR_MS = 3_600_000
export const DAY_MS = 24 * HOUR_MS
/** Spark's default `delta.deletedFileRetentionDuration`: interval 1 week. */
export const DEFAULT_DELETED_FILE_RETENTION_MS = 7 * DAY_MS
/** Spark's default `delta.logRetentionDuration`: interval 30 days. */
export const DEFAULT_LOG_RETENTION_MS = 30 * DAY_MS

export { nowOf, type Clock } from '../clock.js'

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
