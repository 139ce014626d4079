// UPDATE and DELETE on the DML engine: prune files by the predicate (partitions, stats), read only
// the columns needed, mark the affected rows in deletion vectors (or copy-on-write), write updated
// rows and change rows. A DELETE whose predicate covers a whole file (e.g. on partition columns)
// removes the file without reading it or writing a DV.
import { ConstraintViolationError } from '../errors.js'
import { bindPredicate, type BindScope, type BoundExpr, type ExprLike } from '../expr/bind.js'
import { evalPredicateRows } from '../expr/eval.js'
import { exprToSql } from '../expr/print.js'
import type { Expr } from '../expr/ast.js'
import type { AddFile } from '../log/actions.js'
import type { Snapshot } from '../log/snapshot.js'
import { predicateCoversFile, selectFiles, type SnapshotInfo } from '../scan/file-skipping.js'
import { parseStats } from '../schema/stats.js'
import { findField, type StructField } from '../schema/types.js'
import { checkWriteSupport } from '../write/features.js'
import { identityColumns } from '../write/identity.js'
import type { WriteFilesOptions } from '../write/data-files.js'
import { bindClause, evalValues, type Assignments } from './clauses.js'
import { DmlWriter } from './dml-writer.js'
import { fileDeletionVector, readFileColumns } from './file-read.js'
import { sideBatch, TARGET, unqualify } from './join.js'
import type { MergeResult } from './merge-types.js'
import { referencedColumns } from '../expr/bind.js'
import { keyPath } from '../schema/column-path.js'
import { optionKeys } from '../options.js'
import type { TxnOption } from '../write/operations.js'
import type { IsolationLevel } from '../txn/isolation.js'

/** Options of `update` and `delete`: isolation level, idempotent txn, file sizes. */
export interface DmlOptions {
  isolationLevel?: IsolationLevel
  txn?: TxnOption
  write?: WriteFilesOptions
  flushRows?: number
}
export const DML_OPTION_KEYS = optionKeys<DmlOptions>()(['isolationLevel', 'txn', 'write', 'flushRows'])

/**
 * UPDATE and DELETE write no new identity values: rows keep theirs (copied or post-images), so
 * identity columns only forbid assigning them (as Delta does).
 */
function guard(snapshot: Snapshot, op: string, assigned: string[] = []): void {
  checkWriteSupport(snapshot.protocol, snapshot.schema, snapshot.properties, snapshot.tableUrl, snapshot.version, ['identityColumns', 'rowTracking'])
  for (const c of identityColumns(snapshot.schema, snapshot.tableUrl)) {
    const name = c.field.name.toLowerCase()
    if (assigned.some((a) => a.toLowerCase().replace(/^(t|target)\./, '') === name)) {
      throw new ConstraintViolationError(`${op} cannot assign identity column ${c.field.name} of table ${snapshot.tableUrl}`, { table: snapshot.tableUrl, column: c.field.name })
    }
  }
  if (snapshot.properties['delta.appendOnly'] === 'true') {
    throw new ConstraintViolationError(`table ${snapshot.tableUrl} is append-only (delta.appendOnly = true): ${op} is not allowed`, { table: snapshot.tableUrl, version: snapshot.version })
  }
}

function scopeOf(snapshot: Snapshot): BindScope {
  return { sides: [{ name: TARGET, aliases: ['t'], schema: snapshot.schema }] }
}

function fieldsOf(snapshot: Snapshot, exprs: (BoundExpr | undefined)[]): StructField[] {
  const out: StructField[] = []
  for (const e of exprs) {
    if (!e) continue
    for (const key of referencedColumns(e)) {
      const f = findField(snapshot.schema, keyPath(key)[1]!)
      if (f && !out.includes(f)) out.push(f)
    }
  }
  return out
}

function sqlOf(p: ExprLike | undefined): string | undefined {
  if (p === undefined || p === null) return undefined
  return typeof p === 'string' ? p : exprToSql(p as Expr)
}

/** Live row indexes of `n` physical rows whose predicate holds (all live rows without a predicate). */
function matchingRows(n: number, deleted: Float64Array, pred: BoundExpr | undefined, cols: Map<string, unknown[]>): number[] {
  const live: number[] = []
  let d = 0
  for (let i = 0; i < n; i++) {
    while (d < deleted.length && deleted[d] < i) d++
    if (d < deleted.length && deleted[d] === i) continue
    live.push(i)
  }
  if (!pred || live.length === 0) return live
  const ok = evalPredicateRows(pred, sideBatch(live.length, { [TARGET]: { columns: cols as never, rows: live } }))
  return live.filter((_, j) => ok[j])
}

function dmlMetrics(w: DmlWriter, started: number, scanMs: number): Record<string, number> {
  const elapsed = Date.now() - started
  return {
    numCopiedRows: w.rowsCopied,
    numAddedFiles: w.filesAdded,
    numRemovedFiles: w.filesRemoved,
    numAddedChangeFiles: w.changeFilesAdded,
    numAddedBytes: w.sink.bytesAdded,
    numRemovedBytes: w.bytesRemoved,
    numDeletionVectorsAdded: w.dvsAdded,
    numDeletionVectorsUpdated: w.dvsUpdated,
    numDeletionVectorsRemoved: w.dvsRemoved,
    executionTimeMs: elapsed,
    scanTimeMs: scanMs,
    rewriteTimeMs: Math.max(0, elapsed - scanMs),
  }
}

/** UPDATE table SET … WHERE predicate (every row without a predicate). */
export async function updateRows(snapshot: Snapshot, predicate: ExprLike | undefined, set: Assignments, opts: DmlOptions = {}): Promise<MergeResult> {
  const started = Date.now()
  const table = snapshot.tableUrl
  guard(snapshot, 'UPDATE', Object.keys(set))
  const scope = scopeOf(snapshot)
  const pred = predicate === undefined || predicate === null ? undefined : bindPredicate(predicate, scope, { what: 'update predicate', table })
  const clause = bindClause({ kind: 'update', assign: set }, { output: snapshot.schema, scope, keepSide: TARGET, what: 'update', table })
  const writer = new DmlWriter(snapshot, { write: opts.write, flushRows: opts.flushRows })
  const info: SnapshotInfo = { schema: snapshot.schema, partitionColumns: snapshot.partitionColumns, configuration: snapshot.properties }
  const plain = pred && unqualify(pred)
  const candidates = plain ? selectFiles(snapshot.activeFiles(), info, plain) : snapshot.activeFiles()
  const needAll = writer.cdf || !writer.dvMode
  const fields = needAll ? snapshot.schema.fields : fieldsOf(snapshot, [pred, ...clause.values!])
  let updated = 0
  const scanStart = Date.now()
  for (const add of candidates) {
    const dv = await fileDeletionVector(snapshot, add)
    const { numRows, columns } = await readFileColumns(snapshot, add, fields)
    const rows = matchingRows(numRows, dv.rows, pred, columns)
    if (!rows.length) continue
    const values = writer.sink.complete(evalValues(clause.values!, sideBatch(rows.length, { [TARGET]: { columns, rows } })), rows.length)
    await writer.sink.addRows(await writer.updatedRows(add, values, rows), rows.length)
    await writer.targetChanges('update_preimage', columns, numRows, rows)
    await writer.sink.addChanges('update_postimage', values, rows.length)
    await writer.applyFile(add, dv, rows, numRows, needAll ? columns : undefined)
    updated += rows.length
  }
  const scanMs = Date.now() - scanStart
  const metrics = () => ({ numUpdatedRows: updated, ...dmlMetrics(writer, started, scanMs) })
  if (!writer.changed) return { version: snapshot.version, metrics: metrics() }
  return writer.commit({
    operation: 'UPDATE',
    parameters: { predicate: sqlOf(predicate) === undefined ? [] : [sqlOf(predicate)] },
    read: plain ? { predicates: [plain], files: candidates.map((a) => a.path) } : { wholeTable: true },
    isolationLevel: opts.isolationLevel, txn: opts.txn, metrics,
  })
}

function liveRowCount(snapshot: Snapshot, add: AddFile): number | undefined {
  const s = parseStats(add.stats, snapshot.schema, snapshot.columnMappingMode)
  if (s?.numRecords === undefined) return undefined
  return s.numRecords - (add.deletionVector?.cardinality ?? 0)
}

/** DELETE FROM table WHERE predicate (every row without a predicate). */
export async function deleteRows(snapshot: Snapshot, predicate: ExprLike | undefined, opts: DmlOptions = {}): Promise<MergeResult> {
  const started = Date.now()
  const table = snapshot.tableUrl
  guard(snapshot, 'DELETE')
  const pred = predicate === undefined || predicate === null ? undefined : bindPredicate(predicate, scopeOf(snapshot), { what: 'delete predicate', table })
  const writer = new DmlWriter(snapshot, { write: opts.write, flushRows: opts.flushRows })
  const info: SnapshotInfo = { schema: snapshot.schema, partitionColumns: snapshot.partitionColumns, configuration: snapshot.properties }
  const plain = pred && unqualify(pred)
  const candidates = plain ? selectFiles(snapshot.activeFiles(), info, plain) : snapshot.activeFiles()
  const needAll = writer.cdf || !writer.dvMode
  const fields = needAll ? snapshot.schema.fields : fieldsOf(snapshot, [pred])
  let deleted = 0
  const scanStart = Date.now()
  for (const add of candidates) {
    if (!plain || predicateCoversFile(plain, add, info, true)) {
      const count = liveRowCount(snapshot, add) ?? matchingRows((await readFileColumns(snapshot, add, [])).numRows, (await fileDeletionVector(snapshot, add)).rows, undefined, new Map()).length
      writer.removeWhole(add)
      deleted += count
      continue
    }
    const dv = await fileDeletionVector(snapshot, add)
    const { numRows, columns } = await readFileColumns(snapshot, add, fields)
    const rows = matchingRows(numRows, dv.rows, pred, columns)
    if (!rows.length) continue
    await writer.targetChanges('delete', columns, numRows, rows)
    await writer.applyFile(add, dv, rows, numRows, needAll ? columns : undefined)
    deleted += rows.length
  }
  const scanMs = Date.now() - scanStart
  const metrics = () => ({ numDeletedRows: deleted, ...dmlMetrics(writer, started, scanMs) })
  if (!writer.changed) return { version: snapshot.version, metrics: metrics() }
  return writer.commit({
    operation: 'DELETE',
    parameters: { predicate: sqlOf(predicate) === undefined ? [] : [sqlOf(predicate)] },
    read: plain ? { predicates: [plain], files: candidates.map((a) => a.path) } : { wholeTable: true },
    isolationLevel: opts.isolationLevel, txn: opts.txn, metrics,
    wholeFileChanges: async (add) => {
      const dv = await fileDeletionVector(snapshot, add)
      const { numRows, columns } = await readFileColumns(snapshot, add, snapshot.schema.fields)
      await writer.targetChanges('delete', columns, numRows, matchingRows(numRows, dv.rows, undefined, columns))
    },
  })
}
