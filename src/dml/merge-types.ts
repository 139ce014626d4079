// Options, results and operation metrics of MERGE (Delta's operationMetrics names).
import type { Expr } from '../expr/ast.js'
import { optionKeys } from '../options.js'
import type { WriteFilesOptions } from '../write/data-files.js'
import type { DmlWriter } from './dml-writer.js'
import type { SourceBatch } from './source.js'
import type { SourceIndex } from './join.js'
import type { WriteWarning } from '../errors.js'
import type { IsolationLevel } from '../txn/isolation.js'

/**
 * Options of the builder MERGE (`t.merge(source, { on })`): the join keys or condition, aliases, schema evolution.
 * @example
 * await t.merge(rows, { on: 'id' }).whenMatchedUpdateAll().whenNotMatchedInsertAll().execute()
 */
export interface MergeOptions {
  /** Key column names (equal on both sides), or a condition naming `target`/`source` (aliases `t`/`s`). */
  on: string[] | string | Expr
  /** Add source columns the target lacks (only with updateAll / insertAll clauses, as Delta). */
  mergeSchema?: boolean
  /** Extra alias for the source in conditions (besides `source` and `s`). */
  sourceAlias?: string
  /** Extra alias for the target in conditions (besides `target` and `t`). */
  targetAlias?: string
  isolationLevel?: IsolationLevel
  /** Idempotent write: recorded atomically with the data (PROTOCOL.md "Transaction Identifiers"). */
  txn?: { appId: string; version: number }
  write?: WriteFilesOptions
  /** Buffered rows written to a file once this many accumulate. */
  flushRows?: number
}

/** The public keys of MergeOptions (run-time check of `table.merge(source, { on, … })`). */
export const MERGE_OPTION_KEYS = optionKeys<MergeOptions>()(['on', 'mergeSchema', 'sourceAlias', 'targetAlias', 'isolationLevel', 'txn', 'write', 'flushRows'])

/** What executeMerge takes: the public options plus what CDC mode prepared. */
export interface MergeExecOptions extends MergeOptions {
  /** @internal an already normalised source (CDC mode). */
  preparedSource?: SourceBatch
  /** @internal the caller (CDC mode) checked which target columns the source may lack. */
  partialSource?: boolean
  /** @internal the prepared source's join keys for `on` (a list of key columns): keyValues of them, indexed. */
  preparedKeys?: PreparedKeys
}

/** Hashed source keys (one per source row) and their index. */
export interface PreparedKeys {
  keys: unknown[]
  index: SourceIndex
}

/** The version a MERGE committed and its metrics (delta-rs names: numTargetRowsInserted…). */
export interface MergeResult {
  version: number
  metrics: Record<string, number>
  /** Post-commit failures (checkpoint, checksum, log cleanup) when run through a DeltaTable. */
  warnings?: WriteWarning[]
}

export class MergeCounters {
  numSourceRows = 0
  numTargetRowsInserted = 0
  numTargetRowsMatchedUpdated = 0
  numTargetRowsNotMatchedBySourceUpdated = 0
  numTargetRowsMatchedDeleted = 0
  numTargetRowsNotMatchedBySourceDeleted = 0
  scanTimeMs = 0
  /** delta-rs's names: target files read after pruning, and files pruning skipped. */
  numTargetFilesScanned = 0
  numTargetFilesSkipped = 0

  toMetrics(w: DmlWriter, started: number): Record<string, number> {
    const updated = this.numTargetRowsMatchedUpdated + this.numTargetRowsNotMatchedBySourceUpdated
    const deleted = this.numTargetRowsMatchedDeleted + this.numTargetRowsNotMatchedBySourceDeleted
    const elapsed = Date.now() - started
    return {
      numSourceRows: this.numSourceRows,
      numTargetRowsInserted: this.numTargetRowsInserted,
      numTargetRowsUpdated: updated,
      numTargetRowsMatchedUpdated: this.numTargetRowsMatchedUpdated,
      numTargetRowsNotMatchedBySourceUpdated: this.numTargetRowsNotMatchedBySourceUpdated,
      numTargetRowsDeleted: deleted,
      numTargetRowsMatchedDeleted: this.numTargetRowsMatchedDeleted,
      numTargetRowsNotMatchedBySourceDeleted: this.numTargetRowsNotMatchedBySourceDeleted,
      numTargetRowsCopied: w.rowsCopied,
      numOutputRows: this.numTargetRowsInserted + updated + w.rowsCopied,
      numTargetFilesAdded: w.filesAdded,
      numTargetFilesRemoved: w.filesRemoved,
      numTargetChangeFilesAdded: w.changeFilesAdded,
      numTargetBytesAdded: w.sink.bytesAdded,
      numTargetBytesRemoved: w.bytesRemoved,
      numTargetDeletionVectorsAdded: w.dvsAdded,
      numTargetDeletionVectorsUpdated: w.dvsUpdated,
      numTargetDeletionVectorsRemoved: w.dvsRemoved,
      numTargetFilesScanned: this.numTargetFilesScanned,
      numTargetFilesSkipped: this.numTargetFilesSkipped,
      executionTimeMs: elapsed,
      scanTimeMs: this.scanTimeMs,
      rewriteTimeMs: Math.max(0, elapsed - this.scanTimeMs),
    }
  }
}
