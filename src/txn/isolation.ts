// Isolation levels of a Delta write: which concurrent commits a transaction must not ignore.
// Tables choose Serializable or WriteSerializable (the default) through `delta.isolationLevel`, an
// operation may ask for its own; commits that change no data are checked at snapshot isolation.
import { InvalidArgumentError } from '../errors.js'
import type { Action } from '../log/actions.js'

/** The levels a table or an operation may ask for. */
export type IsolationLevel = 'Serializable' | 'WriteSerializable'

/**
 * The level the conflict checker applies. `SnapshotIsolation` is never configured: it is what a
 * commit that changes no data (OPTIMIZE, an empty commit) is downgraded to, so that concurrent
 * appends cannot fail it.
 */
export type EffectiveIsolationLevel = IsolationLevel | 'SnapshotIsolation'

export const ISOLATION_LEVEL_KEY = 'delta.isolationLevel'
export const DEFAULT_ISOLATION_LEVEL: IsolationLevel = 'WriteSerializable'

/** Parse a configured level (case-insensitive, as Spark reads table properties). */
export function parseIsolationLevel(value: string, table?: string): IsolationLevel {
  switch (value.trim().toLowerCase()) {
    case 'serializable': return 'Serializable'
    case 'writeserializable': return 'WriteSerializable'
    default:
      throw new InvalidArgumentError(
        `${ISOLATION_LEVEL_KEY} must be Serializable or WriteSerializable, got '${value}'`, { table })
  }
}

/** The table's level from its metaData configuration; WriteSerializable when unset. */
export function tableIsolationLevel(configuration: Record<string, string> | undefined, table?: string): IsolationLevel {
  const value = configuration?.[ISOLATION_LEVEL_KEY]
  return value === undefined ? DEFAULT_ISOLATION_LEVEL : parseIsolationLevel(value, table)
}

// commitInfo.operation names (Delta's spelling) of operations that rewrite or add logical rows.
// Anything not listed counts as changing data, so an unknown operation is never downgraded.
const NO_DATA_CHANGE_OPERATIONS = new Set([
  'OPTIMIZE', 'VACUUM START', 'VACUUM END', 'SET TBLPROPERTIES', 'UNSET TBLPROPERTIES',
  'ADD COLUMNS', 'CHANGE COLUMN', 'RENAME COLUMN', 'DROP COLUMNS', 'ADD CONSTRAINT', 'DROP CONSTRAINT',
  'UPGRADE PROTOCOL', 'SET TABLE PROPERTIES', 'REORG', 'COMPUTE STATS', 'ROW TRACKING BACKFILL',
  'DOMAIN METADATA CLEANUP', 'CHECKPOINT', 'MANUAL UPDATE',
])

/** Whether an operation, by its name, changes the table's logical rows. */
export function operationChangesData(operation: string | undefined): boolean {
  return operation === undefined || !NO_DATA_CHANGE_OPERATIONS.has(operation.toUpperCase())
}

/**
 * The level the checker applies to our commit. As Delta does, a commit made only of file actions
 * that all have `dataChange: false` (a rearrangement such as compaction) cannot be invalidated by
 * files appended concurrently, so it is checked at snapshot isolation; under WriteSerializable the
 * operation must also not be one that changes data. Any other action (metaData, protocol, txn,
 * domainMetadata) keeps the configured level: such a commit cannot be reordered before the winner.
 */
export function effectiveIsolationLevel(
  level: IsolationLevel, ours: readonly Action[], operation: string | undefined,
): EffectiveIsolationLevel {
  let dataChanged = false
  for (const action of ours) {
    if ('add' in action) dataChanged ||= action.add.dataChange
    else if ('remove' in action) dataChanged ||= action.remove.dataChange
    else if ('cdc' in action) dataChanged = true
    else if (!('commitInfo' in action)) return level
  }
  if (dataChanged) return level
  if (level === 'Serializable' || !operationChangesData(operation)) return 'SnapshotIsolation'
  return level
}
