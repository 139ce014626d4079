// Table maintenance: OPTIMIZE (compaction, DV purge, Z-order), VACUUM, RESTORE, expired-log
// cleanup and ALTER-style metadata commits. Re-exports only.
export { optimize, planCompaction, DEFAULT_MAX_ROWS_PER_FILE, type OptimizeOptions, type OptimizeResult } from './optimize.js'
export { zOrderPermutation } from './zorder.js'
export { vacuum, isVacuumable, type VacuumOptions, type VacuumResult } from './vacuum.js'
export { restore, type RestoreOptions, type RestoreResult } from './restore.js'
export { cleanupExpiredLogs, type LogCleanupOptions, type LogCleanupResult } from './log-cleanup.js'
export {
  setProperties, unsetProperties, addColumns, renameColumn, dropColumns, addConstraint, dropConstraint,
  type AlterOptions, type AlterResult, type NewColumn,
} from './alter.js'
export type { Clock } from './durations.js'
