// A scan filter bound once against the snapshot: which top-level fields it reads, which files and
// row groups it can skip (expr layer's skipping rules), and its exact row-by-row evaluation.
import { bindPredicate, referencedColumns, type BoundExpr, type ExprLike } from '../expr/bind.js'
import { evalPredicateRows } from '../expr/eval.js'
import { compileBoundsCheck, rowGroupSummary, selectFiles, type RowGroupColumnStats } from './file-skipping.js'
import type { AddFile } from '../log/actions.js'
import type { Snapshot } from '../log/snapshot.js'
import { findField, type StructField } from '../schema/types.js'
import type { DeltaValue } from '../schema/values.js'
import { keyHead, keyPath } from '../schema/column-path.js'

export type FilterInput = ExprLike | BoundExpr

export interface CompiledFilter {
  bound: BoundExpr
  /** Top-level fields the predicate reads. */
  fields: StructField[]
  selectFiles(files: AddFile[]): AddFile[]
  /**
   * Per row group, from its Parquet statistics (partition values of the file are exact): skip it (no
   * row can pass), or the conjuncts the statistics leave undecided. A conjunct every row satisfies
   * (a 10% id range over a file wholly inside it) is neither evaluated nor its column read.
   */
  planRowGroup(partitionValues: Map<string, DeltaValue>): (group: RowGroupInfo) => RowGroupPlan
  /** 1 where the row passes `residual` (SQL three-valued logic: null drops the row). */
  evalResidual(residual: BoundExpr, batch: { length: number; column(name: string): DeltaValue[] }): Uint8Array
}

export interface RowGroupInfo { rowCount: number; stats(field: string): RowGroupColumnStats | undefined }

/**
 * `residual` undefined: every row passes. `fields`: the top-level fields the residual reads, when
 * some conjunct was decided (undefined: the whole filter is left, with all of its fields).
 */
export type RowGroupPlan = { skip: true } | { skip: false; residual: BoundExpr | undefined; fields?: ReadonlySet<string> }

export function compileFilter(filter: FilterInput, snapshot: Snapshot): CompiledFilter {
  const bound = bindPredicate(filter, snapshot.schema, { what: 'filter', table: snapshot.tableUrl })
  const fields: StructField[] = []
  for (const key of referencedColumns(bound)) {
    const top = findField(snapshot.schema, keyHead(key))
    if (top && !fields.includes(top)) fields.push(top)
  }
  const whole = compileBoundsCheck(bound)
  // by schema field name, as the scan names the columns it reads
  const topFields = (e: BoundExpr): string[] => [...new Set(referencedColumns(e).map((k) => findField(snapshot.schema, keyHead(k))?.name ?? keyHead(k)))]
  const conjuncts = conjunctsOf(bound).map((e) => ({ e, check: compileBoundsCheck(e), fields: topFields(e) }))
  const summaryOf = (partitionValues: Map<string, DeltaValue>, group: RowGroupInfo) => {
    // row-group stats and partition values are by top-level column only
    const top = (key: string): string | undefined => { const p = keyPath(key); return p.length === 1 ? p[0] : undefined }
    return rowGroupSummary(bound, group.rowCount,
      (key) => { const name = top(key); return name === undefined ? undefined : group.stats(name) },
      (key) => { const name = top(key); return name !== undefined && partitionValues.has(name) ? { value: partitionValues.get(name)! } : undefined })
  }
  const evalOn = (e: BoundExpr, batch: { length: number; column(name: string): DeltaValue[] }) =>
    evalPredicateRows(e, { length: batch.length, column: (key) => nestedColumn(batch, keyPath(key)) })
  return {
    bound,
    fields,
    selectFiles: (files) => selectFiles(files, { schema: snapshot.schema, partitionColumns: snapshot.partitionColumns, configuration: snapshot.properties }, bound),
    planRowGroup: (partitionValues) => (group) => {
      try {
        const summary = summaryOf(partitionValues, group)
        if (!whole.mayMatch(summary)) return { skip: true }
        const left = conjuncts.filter((c) => !c.check.mustMatch(summary))
        if (left.length === conjuncts.length) return { skip: false, residual: bound }
        const read = new Set<string>()
        for (const c of left) for (const f of c.fields) read.add(f)
        const residual: BoundExpr | undefined = left.length === 0 ? undefined
          : left.length === 1 ? left[0].e : { bound: true, kind: 'and', type: 'boolean', args: left.map((c) => c.e) }
        return { skip: false, residual, fields: read }
      } catch {
        return { skip: false, residual: bound } // conservative: when unsure, read the group and evaluate it all
      }
    },
    evalResidual: evalOn,
  }
}

/** The operands of a top-level AND, flattened (the predicate itself otherwise). */
function conjunctsOf(e: BoundExpr): BoundExpr[] {
  return e.kind === 'and' ? e.args.flatMap(conjunctsOf) : [e]
}

/** The values at a path of a batch: the top-level column, then struct access by logical field names. */
function nestedColumn(batch: { length: number; column(name: string): DeltaValue[] }, path: string[]): DeltaValue[] {
  let values = batch.column(path[0]!)
  for (const p of path.slice(1)) {
    values = values.map((v) => (v === null || typeof v !== 'object' ? null : ((v as Record<string, DeltaValue>)[p] ?? null)))
  }
  return values
}
