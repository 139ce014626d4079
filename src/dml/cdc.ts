// CDC mode: `table.merge(cdcBatch, options?)`. A change feed (plain op column, Debezium flattened or
// envelope, AWS DMS, Delta change data feed: cdc-formats.ts) is reduced to the latest change per key
// (cdc-batch.ts), then applied as one MERGE: an upsert of a missing key inserts, of an existing key
// updates, a delete removes the row (hard, or a soft-delete flag; a delete of a key not in the table
// does nothing). The format's op, flag and sequence columns are inputs, stored only where the table
// has them (Delta CDF's never).
import { InvalidArgumentError, SchemaMismatchError } from '../errors.js'
import type { Expr } from '../expr/ast.js'
import type { Snapshot } from '../log/snapshot.js'
import { checkOptions, optionKeys } from '../options.js'
import { findField, type StructField } from '../schema/types.js'
import type { WriteData } from '../write/input.js'
import type { WriteFilesOptions } from '../write/data-files.js'
import type { ErrorContext } from '../errors.js'
import { DELETE_FLAG, prepareCdcBatch, type CdcInfo } from './cdc-batch.js'
import { FEED_FORMATS as FORMATS, type FeedFormat } from './cdc-formats.js'
import type { Assignments, ClauseSpec } from './clauses.js'
import { SOURCE, TARGET } from './join.js'
import { executeMerge } from './merge-exec.js'
import type { MergeResult } from './merge-types.js'
import type { IsolationLevel } from '../txn/isolation.js'

/**
 * Options of the change-feed MERGE (`t.merge(rows, { keys })` without `on`): upserts and deletes by key
 * from a change feed (plain op column, Debezium, AWS DMS, Delta CDF; docs/change-feeds.md).
 * @example
 * await t.merge([{ id: 1n, op: 'U', name: 'a' }, { id: 2n, op: 'D' }], { keys: 'id' })
 */
export interface CdcMergeOptions {
  /** Key columns; default: the table's primary key (set at create). */
  keys?: string | string[]
  /** The feed's shape; default 'auto': told by the batch's columns (docs/change-feeds.md). */
  format?: 'auto' | FeedFormat
  /** Column holding the operation (default: the format's, e.g. `op`); absent from the batch → every row is an upsert. */
  opColumn?: string
  /** Column ordering changes (LSN, timestamp, offset): per key the highest wins. A path such as `source.lsn` for Debezium envelopes. */
  sequence?: string
  /** Skip changes whose sequence is older than the target row's stored one (needs the column in the table). */
  ignoreOlderThanTarget?: boolean
  /** Soft deletes: set this boolean column to true instead of removing the row (a key the table lacks: nothing happens). */
  softDelete?: { column: string }
  /** Add batch columns the table lacks; upserts keep stored values of columns the batch lacks (inserts: NULL). */
  mergeSchema?: boolean
  /** Batch columns to drop (neither stored nor refused). */
  ignoreColumns?: string[]
  isolationLevel?: IsolationLevel
  txn?: { appId: string; version: number }
  write?: WriteFilesOptions
  flushRows?: number
}

export const CDC_OPTION_KEYS = optionKeys<CdcMergeOptions>()([
  'keys', 'format', 'opColumn', 'sequence', 'ignoreOlderThanTarget', 'softDelete', 'mergeSchema', 'ignoreColumns',
  'isolationLevel', 'txn', 'write', 'flushRows',
])

const SOFT_DELETE_KEYS = optionKeys<{ column: string }>()(['column'])

/** What a change-feed MERGE committed, and how it read the feed. */
export interface CdcMergeResult extends MergeResult {
  /** Which format, op column and sequence the batch was read with. */
  cdc: CdcInfo
}

/** Run-time check of CDC-mode option values the key check (CDC_OPTION_KEYS) leaves: softDelete's keys, format, ignoreColumns. */
export function checkCdcOptions(opts: CdcMergeOptions, ctx: ErrorContext): void {
  const call = 'merge (CDC mode)'
  checkOptions(`${call} softDelete`, opts.softDelete, SOFT_DELETE_KEYS, ctx)
  const { format, ignoreColumns } = opts
  if (format !== undefined && format !== 'auto' && !(FORMATS as readonly string[]).includes(format)) {
    throw new InvalidArgumentError(`${call}: unknown format ${JSON.stringify(format)}; valid formats: auto, ${FORMATS.join(', ')}`, ctx)
  }
  if (ignoreColumns !== undefined && (!Array.isArray(ignoreColumns) || ignoreColumns.some((c) => typeof c !== 'string'))) {
    throw new InvalidArgumentError(`${call}: ignoreColumns must be an array of column names`, ctx)
  }
}

const col = (side: string, name: string): Expr => ({ kind: 'column', path: [side, name] })
const flag: Expr = col(SOURCE, DELETE_FLAG)
const notFlag: Expr = { kind: 'not', arg: flag }
const and = (...args: (Expr | undefined)[]): Expr => ({ kind: 'and', args: args.filter((a): a is Expr => a !== undefined) })

/** Apply a CDC batch to the table of `snapshot` in one commit. */
export async function mergeCdc(snapshot: Snapshot, data: WriteData, opts: CdcMergeOptions = {}): Promise<CdcMergeResult> {
  const table = snapshot.tableUrl
  const { source, keys, joinKeys, cdc, seqColumn } = prepareCdcBatch(snapshot, data, opts)
  let soft: StructField | undefined
  if (opts.softDelete) {
    soft = findField(snapshot.schema, opts.softDelete.column)
    if (!soft || soft.type !== 'boolean') throw new SchemaMismatchError(`soft-delete column ${opts.softDelete.column} must be a boolean column of the table`, { column: opts.softDelete.column, table })
  }
  // Late events: applied unless asked to skip them and the table stores the sequence column
  let guard: Expr | undefined
  const stored = cdc.sequence === null || !seqColumn ? undefined : findField(snapshot.schema, cdc.sequence)
  const seqValue = col(SOURCE, seqColumn ?? '')
  // Refused rather than ignored: skipping late events needs a sequence the table keeps; without
  // one the option could only be a silent no-op.
  if (opts.ignoreOlderThanTarget && !stored) {
    const why = cdc.sequence === null
      ? 'the batch has no sequence column (set `sequence`)'
      : `the table does not store the sequence column ${cdc.sequence} (add it with addColumns first)`
    throw new InvalidArgumentError(`ignoreOlderThanTarget cannot skip late changes into ${table}: ${why}`, { table, column: cdc.sequence ?? undefined })
  }
  if (opts.ignoreOlderThanTarget && stored) {
    guard = { kind: 'or', args: [{ kind: 'isNull', arg: col(TARGET, stored.name), negated: false }, { kind: 'compare', op: '>=', left: seqValue, right: col(TARGET, stored.name) }] }
  }
  const revive: Assignments | undefined = soft && !findField(source.schema, soft.name) ? { [soft.name]: false } : undefined
  const matched: ClauseSpec[] = []
  if (soft) {
    const set: Assignments = { [soft.name]: true }
    if (stored) set[stored.name] = seqValue
    matched.push({ kind: 'update', condition: and(flag, guard), assign: set })
  } else {
    matched.push({ kind: 'delete', condition: and(flag, guard) })
  }
  matched.push({ kind: 'update', condition: and(notFlag, guard), assign: 'all', extra: revive })
  const notMatched: ClauseSpec[] = [{ kind: 'insert', condition: notFlag, assign: 'all', extra: revive }]
  const { mergeSchema, isolationLevel, txn, write, flushRows } = opts
  const r = await executeMerge(snapshot, data, { matched, notMatched, notMatchedBySource: [] }, {
    on: keys, preparedSource: source, preparedKeys: joinKeys, partialSource: true, mergeSchema, isolationLevel, txn, write, flushRows,
  })
  return { ...r, cdc }
}
