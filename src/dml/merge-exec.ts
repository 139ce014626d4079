// MERGE execution (Delta semantics): bind the ON condition and clauses against target/source, prune
// target files by partition and by the source keys' range, then per candidate file (one at a time)
// read the key columns, hash-join against the source, read the other needed columns only when the
// file is touched, apply the first matching clause per pair, mark deleted/updated rows (DV or
// copy-on-write), and finally insert the unmatched source rows. One commit.
import { ConstraintViolationError, MergeCardinalityError, SchemaMismatchError, UnsupportedFeatureError } from '../errors.js'
import type { Expr } from '../expr/ast.js'
import { bindPredicate, referencedColumns, type BindScope, type BindSide, type BoundExpr } from '../expr/bind.js'
import { evalPredicateRows } from '../expr/eval.js'
import { exprToSql } from '../expr/print.js'
import type { AddFile } from '../log/actions.js'
import type { Snapshot } from '../log/snapshot.js'
import { selectFiles, type SnapshotInfo } from '../scan/file-skipping.js'
import { findField, serializeSchema, typeToString, type StructField } from '../schema/types.js'
import type { DeltaValue } from '../schema/values.js'
import { keyPath } from '../schema/column-path.js'
import { checkWriteSupport } from '../write/features.js'
import { IdentityFiller } from '../write/identity.js'
import { preloadParquetWriter } from '../write/data-files.js'
import type { WriteData } from '../write/input.js'
import { bindClause, evalValues, firstMatchingClause, type BoundClause, type ClauseSpec } from './clauses.js'
import { DmlWriter } from './dml-writer.js'
import { fileDeletionVector, readFileColumns } from './file-read.js'
import type { DeletionVector } from '../scan/deletion-vectors.js'
import { probeRaw, rawKeyEligible, readRawKey, rememberWrittenKey } from './key-read.js'
import { keyValues, planJoin, sideBatch, SourceIndex, SOURCE, TARGET, unqualify, type JoinPlan } from './join.js'
import { MergeCounters, type MergeExecOptions, type MergeOptions, type MergeResult } from './merge-types.js'
import { filesHoldingKeys, keyRangePredicate } from './prune.js'
import { evolveSchema } from './schema-evolution.js'
import { normalizeSource, type SourceBatch } from './source.js'

/** Candidate files whose deletion vectors are being read at once. */
const DV_READ_AHEAD = 4
/** Key columns read ahead of the file being applied (a cold process reads every candidate's: issue 15). */
const KEY_READ_AHEAD = 2

/** Without an equi-join key every (target, source) pair of a file is tried: refuse beyond this many. */
export const MAX_CROSS_PAIRS = 5_000_000

export interface MergeClauses {
  matched: ClauseSpec[]
  notMatched: ClauseSpec[]
  notMatchedBySource: ClauseSpec[]
}

function onCondition(on: MergeOptions['on'], scope: BindScope, src: SourceBatch, snapshot: Snapshot): BoundExpr {
  const table = snapshot.tableUrl
  if (Array.isArray(on)) {
    if (on.length === 0) throw new SchemaMismatchError(`merge needs at least one key column in on (table ${table})`, { table })
    const args: Expr[] = on.map((k) => {
      if (!findField(snapshot.schema, k)) throw new SchemaMismatchError(`merge key column ${k} is not in the target; it has ${snapshot.schema.fields.map((f) => f.name).join(', ')}`, { column: k, table })
      if (!findField(src.schema, k)) throw new SchemaMismatchError(`the merge source lacks key column ${k}`, { column: k, table })
      return { kind: 'compare', op: '=', left: { kind: 'column', path: [TARGET, k] }, right: { kind: 'column', path: [SOURCE, k] } }
    })
    return bindPredicate({ kind: 'and', args }, scope, { what: 'merge condition', table })
  }
  return bindPredicate(on, scope, { what: 'merge condition', table })
}

/** Top-level target fields read by these bound expressions (keys `target.<col>…`). */
function targetFields(exprs: (BoundExpr | undefined)[], snapshot: Snapshot): StructField[] {
  const out: StructField[] = []
  for (const e of exprs) {
    if (!e) continue
    for (const key of referencedColumns(e)) {
      const parts = keyPath(key)
      if (parts[0] !== TARGET) continue
      const f = findField(snapshot.schema, parts[1]!)
      if (f && !out.includes(f)) out.push(f)
    }
  }
  return out
}

/**
 * Delta's `*All` rule without schema evolution: every target column must resolve in the source
 * (DELTA_MERGE_UNRESOLVED_EXPRESSION), except the ones the engine fills itself (generated columns are
 * computed, identity columns generated on insert and never updated, void columns hold only NULL) or
 * an explicit assignment covers.
 */
function checkAllClauses(clauses: MergeClauses, snapshot: Snapshot, src: SourceBatch): void {
  const table = snapshot.tableUrl
  const all = [...clauses.matched.map((c) => [c, 'whenMatchedUpdateAll'] as const), ...clauses.notMatched.map((c) => [c, 'whenNotMatchedInsertAll'] as const)]
  for (const [c, what] of all) {
    if (c.assign !== 'all') continue
    const extra = new Set(Object.keys(c.extra ?? {}).map((k) => k.toLowerCase()))
    for (const f of snapshot.schema.fields) {
      if (findField(src.schema, f.name) || extra.has(f.name.toLowerCase()) || engineFilled(f)) continue
      const has = src.schema.fields.map((x) => x.name).join(', ') || 'no columns'
      throw new SchemaMismatchError(`cannot resolve target column ${f.name} in ${what}: the source has ${has}; ${MISSING_HINT}`, { column: f.name, table, version: snapshot.version })
    }
  }
}

/** How to merge a source that lacks target columns (Delta's schema evolution rule). */
export const MISSING_HINT = 'pass mergeSchema: true to keep the stored value on update and write NULL on insert'

/** Generated and identity columns, whose values the engine computes, and void ones (only NULL fits). */
export function engineFilled(f: StructField): boolean {
  const m = f.metadata
  return f.type === 'void' || typeof m['delta.generationExpression'] === 'string' || 'delta.identity.start' in m || 'delta.identity.step' in m
}

function clauseExprs(c: BoundClause): (BoundExpr | undefined)[] {
  return [c.condition, ...(c.values ?? [])]
}

function soleUnconditionalDelete(cs: BoundClause[]): boolean {
  return cs.length === 1 && cs[0].kind === 'delete' && !cs[0].condition
}

/** Run a MERGE against `snapshot`; commits one version (none when nothing changes). */
export async function executeMerge(snapshot: Snapshot, data: WriteData, clauses: MergeClauses, options: MergeExecOptions): Promise<MergeResult> {
  const started = Date.now()
  const table = snapshot.tableUrl
  checkWriteSupport(snapshot.protocol, snapshot.schema, snapshot.properties, table, snapshot.version, ['identityColumns', 'rowTracking'])
  const modifies = clauses.matched.length + clauses.notMatchedBySource.length > 0
  if (modifies && snapshot.properties['delta.appendOnly'] === 'true') {
    throw new ConstraintViolationError(`table ${table} is append-only (delta.appendOnly = true): MERGE may only insert`, { table, version: snapshot.version })
  }
  const src = options.preparedSource ?? normalizeSource(data, snapshot.schema, table)
  const usesAll = [...clauses.matched, ...clauses.notMatched].some((c) => c.assign === 'all')
  if (!options.mergeSchema && !options.partialSource) checkAllClauses(clauses, snapshot, src)
  const evolved = options.mergeSchema && usesAll ? evolveSchema(snapshot, src.schema) : undefined
  const output = evolved?.schema ?? snapshot.schema

  const targetSide: BindSide = { name: TARGET, aliases: ['t', ...(options.targetAlias ? [options.targetAlias] : [])], schema: snapshot.schema }
  const sourceSide: BindSide = { name: SOURCE, aliases: ['s', ...(options.sourceAlias ? [options.sourceAlias] : [])], schema: src.schema }
  const both: BindScope = { sides: [targetSide, sourceSide] }
  const on = onCondition(options.on, both, src, snapshot)
  const allSide = { name: SOURCE, schema: src.schema }
  const matched = clauses.matched.map((c) => bindClause(c, { output, scope: both, keepSide: TARGET, allSide, what: `whenMatched ${c.kind}`, table }))
  const notMatched = clauses.notMatched.map((c) => bindClause(c, { output, scope: { sides: [sourceSide] }, allSide, what: 'whenNotMatched insert', table }))
  const bySource = clauses.notMatchedBySource.map((c) => bindClause(c, { output, scope: { sides: [targetSide] }, keepSide: TARGET, what: `whenNotMatchedBySource ${c.kind}`, table }))
  const join: JoinPlan = planJoin(on)

  const writer = new DmlWriter(snapshot, { schema: output, metadata: evolved?.metadata, protocol: evolved?.protocol, write: options.write, flushRows: options.flushRows })
  // Inserted rows get identity values (PROTOCOL.md "Identity Columns"); updated rows keep theirs.
  const identity = new IdentityFiller(output, table)
  const identityAt = output.fields.map((f, i) => [f.name, i] as const).filter(([name]) => identity.columns.includes(name))
  const m = new MergeCounters()
  m.numSourceRows = src.numRows
  // a merge that writes rows loads the Parquet writer now, beside the key reads, not after them
  if (notMatched.length || matched.some((c) => c.kind === 'update')) preloadParquetWriter(output.fields)

  // Source side of the join
  const srcBatch = sideBatch(src.numRows, { [SOURCE]: { columns: src.columns } })
  const prepared = options.preparedSource && Array.isArray(options.on) ? options.preparedKeys : undefined
  const srcKeys = prepared?.keys ?? (join.keys.length ? keyValues(join.keys, SOURCE, srcBatch) : [])
  const index = prepared?.index ?? new SourceIndex(srcKeys)
  const matchedSource = new Uint8Array(src.numRows)

  // Candidate files: partition and stats pruning by the target-only conjuncts and the source keys' range
  const info: SnapshotInfo = { schema: snapshot.schema, partitionColumns: snapshot.partitionColumns, configuration: snapshot.properties }
  let candidates: AddFile[] = snapshot.activeFiles()
  let prune: BoundExpr | undefined
  if (bySource.length === 0) {
    const parts = join.targetOnly.map(unqualify)
    if (join.keys.length && index.empty) candidates = []
    else {
      const range = keyRangePredicate(join.keys, srcKeys, src, srcBatch)
      if (range) parts.push(range)
      if (parts.length) {
        prune = parts.length === 1 ? parts[0] : { bound: true, kind: 'and', type: 'boolean', args: parts }
        candidates = selectFiles(candidates, info, prune)
      }
      if (join.keys.length === 1 && candidates.length > 1) candidates = filesHoldingKeys(candidates, snapshot, join.keys[0], srcKeys)
    }
  }

  m.numTargetFilesScanned = candidates.length
  m.numTargetFilesSkipped = snapshot.activeFiles().length - candidates.length
  const keyFields = targetFields([...join.keys.map((k) => k.target), ...join.residual], snapshot)
  const clauseFields = targetFields([...matched, ...bySource].flatMap(clauseExprs), snapshot)
  const needAll = writer.cdf || !writer.dvMode
  const readFields = needAll ? snapshot.schema.fields : [...new Set([...keyFields, ...clauseFields])]
  const extraFields = readFields.filter((f) => !keyFields.includes(f))
  const cardinalityFree = soleUnconditionalDelete(matched)
  // one plain integer key column: typed-array read and probe (key-read.ts)
  const k0 = join.keys[0]
  const rawKey = join.keys.length === 1 && !k0.nullSafe && k0.target.kind === 'column' && k0.target.path.length === 1 && keyFields.length === 1
    && typeToString(k0.source.type) === typeToString(k0.target.type) && rawKeyEligible(snapshot, keyFields[0]) ? keyFields[0] : undefined

  // the key column of the file the new rows go to is known: the next merge need not read it
  if (rawKey) writer.sink.onFileWritten = (add, columns) => rememberWrittenKey(snapshot, add, rawKey, columns.get(rawKey.name))
  const scanStart = Date.now()
  // Deletion vectors are read a few files ahead, so their storage round trips overlap; each is still
  // awaited in file order (same error first), and one never awaited (an earlier file failed) is muted.
  const dvReads = new Map<number, Promise<DeletionVector>>()
  let dvStarted = 0
  // The same for the raw key columns: the next file's read overlaps this file's probe and writes.
  const keyReads = new Map<number, ReturnType<typeof readRawKey>>()
  let keyStarted = 0
  for (let ci = 0; ci < candidates.length; ci++) {
    const add = candidates[ci]
    for (; dvStarted < candidates.length && dvStarted < ci + DV_READ_AHEAD; dvStarted++) {
      const p = fileDeletionVector(snapshot, candidates[dvStarted])
      p.catch(() => {})
      dvReads.set(dvStarted, p)
    }
    for (; rawKey && keyStarted < candidates.length && keyStarted < ci + KEY_READ_AHEAD; keyStarted++) {
      const p = readRawKey(snapshot, candidates[keyStarted], rawKey)
      p.catch(() => {})
      keyReads.set(keyStarted, p)
    }
    const dv = await dvReads.get(ci)!
    dvReads.delete(ci)
    // probe: pairs (target row, source row) with equal keys, rows already deleted skipped
    const tIdx: number[] = []
    const sIdx: number[] = []
    const deletedBefore = dv.rows
    const raw = rawKey ? await keyReads.get(ci)! : undefined
    keyReads.delete(ci)
    const keysRead = raw ? { numRows: raw.numRows, columns: new Map([[rawKey!.name, raw.values]]) } : await readFileColumns(snapshot, add, keyFields)
    const n = keysRead.numRows
    const cols: Map<string, ArrayLike<DeltaValue>> = keysRead.columns
    if (raw) probeRaw(raw.values, deletedBefore, index, tIdx, sIdx)
    const tKeys = !raw && join.keys.length ? keyValues(join.keys, TARGET, sideBatch(n, { [TARGET]: { columns: cols } })) : undefined
    let d = 0
    for (let i = 0; i < (raw ? 0 : n); i++) {
      while (d < deletedBefore.length && deletedBefore[d] < i) d++
      if (d < deletedBefore.length && deletedBefore[d] === i) continue
      if (tKeys) {
        const k = tKeys[i]
        if (k === undefined) continue
        const hit = index.map.get(k)
        if (hit === undefined) continue
        if (typeof hit === 'number') { tIdx.push(i); sIdx.push(hit) } else for (const s of hit) { tIdx.push(i); sIdx.push(s) }
      } else {
        if (tIdx.length + src.numRows > MAX_CROSS_PAIRS) {
          throw new UnsupportedFeatureError(`merge condition has no equality between a target and a source column, so file ${add.path} would be joined row by row with all ${src.numRows} source rows (over ${MAX_CROSS_PAIRS} pairs); add a key equality such as t.id = s.id`, { table, file: add.path })
        }
        for (let s = 0; s < src.numRows; s++) { tIdx.push(i); sIdx.push(s) }
      }
    }
    let pairsT: number[] = tIdx
    let pairsS: number[] = sIdx
    if (join.residual.length && tIdx.length) {
      const pb = sideBatch(tIdx.length, { [TARGET]: { columns: cols, rows: tIdx }, [SOURCE]: { columns: src.columns, rows: sIdx } })
      const ok = join.residual.map((r) => evalPredicateRows(r, pb))
      pairsT = []
      pairsS = []
      for (let p = 0; p < tIdx.length; p++) if (ok.every((o) => o[p])) { pairsT.push(tIdx[p]); pairsS.push(sIdx[p]) }
    }
    if (pairsT.length === 0 && bySource.length === 0) continue
    for (const s of pairsS) matchedSource[s] = 1
    if (matched.length === 0 && bySource.length === 0) continue
    if (extraFields.length) {
      const more = await readFileColumns(snapshot, add, extraFields)
      for (const [k, v] of more.columns) cols.set(k, v)
    }
    const deleted: number[] = []

    if (matched.length && pairsT.length) {
      const pb = sideBatch(pairsT.length, { [TARGET]: { columns: cols, rows: pairsT }, [SOURCE]: { columns: src.columns, rows: pairsS } })
      const which = firstMatchingClause(matched, pb)
      // cardinality: a target row matched by several source rows may not be modified (Delta)
      for (let p = 0; p < pairsT.length;) {
        let q = p + 1
        while (q < pairsT.length && pairsT[q] === pairsT[p]) q++
        if (q - p > 1 && !cardinalityFree) {
          for (let r = p; r < q; r++) {
            if (which[r] >= 0) {
              throw new MergeCardinalityError(`MERGE failed: target row ${pairsT[p]} of file ${add.path} is matched by ${q - p} source rows (source rows ${pairsS.slice(p, q).join(', ')}) and a whenMatched clause would modify it; deduplicate the source (table ${table}, version ${snapshot.version})`, { table, version: snapshot.version, file: add.path })
            }
          }
        }
        if (q - p > 1) for (let r = p + 1; r < q; r++) which[r] = -1 // delete-only: the row goes once
        p = q
      }
      await applyClauses(writer, add, matched, which, cols, n, pairsT, pairsS, src, deleted, m, 'matched')
    }
    if (bySource.length) {
      const touched = new Set(pairsT)
      const rows: number[] = []
      let e = 0
      for (let i = 0; i < n; i++) {
        while (e < deletedBefore.length && deletedBefore[e] < i) e++
        if (e < deletedBefore.length && deletedBefore[e] === i) continue
        if (!touched.has(i)) rows.push(i)
      }
      if (rows.length) {
        const which = firstMatchingClause(bySource, sideBatch(rows.length, { [TARGET]: { columns: cols, rows } }))
        await applyClauses(writer, add, bySource, which, cols, n, rows, undefined, src, deleted, m, 'bySource')
      }
    }
    if (deleted.length) {
      deleted.sort((a, b) => a - b)
      await writer.applyFile(add, dv, deleted, n, needAll ? cols : undefined)
    }
  }
  m.scanTimeMs = Date.now() - scanStart

  // Inserts: source rows that matched no target row, first applicable whenNotMatched clause
  if (notMatched.length) {
    const rows: number[] = []
    for (let s = 0; s < src.numRows; s++) if (!matchedSource[s]) rows.push(s)
    if (rows.length) {
      const sb = sideBatch(rows.length, { [SOURCE]: { columns: src.columns, rows } })
      const which = firstMatchingClause(notMatched, sb)
      for (let c = 0; c < notMatched.length; c++) {
        const sel: number[] = []
        for (let i = 0; i < rows.length; i++) if (which[i] === c) sel.push(rows[i])
        if (!sel.length) continue
        m.numTargetRowsInserted += sel.length
        const direct = identity.active ? undefined : sourceColumnsOf(notMatched[c].values!, src, writer)
        if (direct) { await writer.sink.addRows(direct, sel.length, sel, true); continue }
        const inserted = evalValues(notMatched[c].values!, sideBatch(sel.length, { [SOURCE]: { columns: src.columns, rows: sel } }))
        if (identity.active) {
          const filled = identity.fill((name) => inserted[identityAt.find(([n]) => n === name)![1]], sel.length)
          for (const [name, i] of identityAt) inserted[i] = filled.get(name)!
        }
        const values = writer.sink.complete(inserted, sel.length)
        await writer.sink.addRows(values, sel.length)
        await writer.sink.addChanges('insert', values, sel.length)
      }
    }
  }

  if (!writer.changed && !evolved) {
    return { version: snapshot.version, metrics: m.toMetrics(writer, started) }
  }
  const marked = identity.advancedSchema()
  if (marked) writer.setMetadata({ ...(evolved?.metadata ?? snapshot.metadata), schemaString: serializeSchema(marked) })
  const sql = (c: BoundClause): Record<string, string> => ({ actionType: c.kind, ...(c.conditionSql ? { predicate: c.conditionSql } : {}) })
  return writer.commit({
    operation: 'MERGE',
    parameters: {
      predicate: typeof options.on === 'string' ? options.on : Array.isArray(options.on) ? options.on.map((k) => `target.${k} = source.${k}`).join(' AND ') : exprToSql(options.on as Expr),
      matchedPredicates: matched.map(sql),
      notMatchedPredicates: notMatched.map(sql),
      notMatchedBySourcePredicates: bySource.map(sql),
    },
    read: prune ? { predicates: [prune], files: candidates.map((a) => a.path) } : { wholeTable: true, files: candidates.map((a) => a.path) },
    isolationLevel: options.isolationLevel,
    txn: options.txn,
    metrics: () => m.toMetrics(writer, started),
  })
}

/**
 * Apply the chosen clause of each (target row[, source row]) pair: deletes mark the target row,
 * updates mark it and write the new row; change rows follow when CDF is on.
 */
async function applyClauses(
  writer: DmlWriter, add: AddFile, clauses: BoundClause[], which: Int32Array, cols: Map<string, ArrayLike<DeltaValue>>, n: number,
  tRows: number[], sRows: number[] | undefined, src: SourceBatch, deleted: number[], m: MergeCounters, kind: 'matched' | 'bySource',
): Promise<void> {
  // each clause's pairs, counted first, then copied into arrays of that size
  const counts = new Int32Array(clauses.length)
  for (let p = 0; p < tRows.length; p++) if (which[p] >= 0) counts[which[p]]++
  for (let c = 0; c < clauses.length; c++) {
    if (counts[c] === 0) continue
    const t = new Int32Array(counts[c])
    const s = sRows ? new Int32Array(counts[c]) : undefined
    for (let p = 0, o = 0; p < tRows.length; p++) {
      if (which[p] !== c) continue
      t[o] = tRows[p]
      if (s) s[o] = sRows![p]
      o++
    }
    for (let i = 0; i < t.length; i++) deleted.push(t[i])
    const clause = clauses[c]
    if (clause.kind === 'delete') {
      await writer.targetChanges('delete', cols, n, t)
      if (kind === 'matched') m.numTargetRowsMatchedDeleted += t.length
      else m.numTargetRowsNotMatchedBySourceDeleted += t.length
      continue
    }
    if (kind === 'matched') m.numTargetRowsMatchedUpdated += t.length
    else m.numTargetRowsNotMatchedBySourceUpdated += t.length
    // (updated rows keep their row ids: the direct path indexes source rows only)
    const direct = sRows && !writer.preserveRowIds ? sourceColumnsOf(clause.values!, src, writer) : undefined
    if (direct) { await writer.sink.addRows(direct, t.length, s!, true); continue }
    const batch = sideBatch(t.length, { [TARGET]: { columns: cols, rows: t }, ...(sRows ? { [SOURCE]: { columns: src.columns, rows: s } } : {}) })
    const values = writer.sink.complete(evalValues(clause.values!, batch), t.length)
    await writer.sink.addRows(await writer.updatedRows(add, values, t), t.length)
    await writer.targetChanges('update_preimage', cols, n, t)
    await writer.sink.addChanges('update_postimage', values, t.length)
  }
}

/**
 * The source columns a clause's values are when each is a plain top-level source column and the
 * rows need nothing else (no computed column, no change rows): the sink then keeps source row
 * indexes and gathers every such row once, at flush (updateAll / insertAll from the source).
 */
function sourceColumnsOf(values: BoundExpr[], src: SourceBatch, writer: DmlWriter): ArrayLike<DeltaValue>[] | undefined {
  if (writer.cdf || writer.sink.computesColumns) return undefined
  const out: ArrayLike<DeltaValue>[] = []
  for (const e of values) {
    if (e.kind !== 'column') return undefined
    const c = e.side === SOURCE && e.path.length === 1 ? src.columns.get(e.path[0]!) : undefined
    if (!c) return undefined
    out.push(c)
  }
  return out
}
