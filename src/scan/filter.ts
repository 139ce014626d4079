// A scan filter bound once against the snapshot: which top-level fields it reads, which files and
// row groups it can skip (expr layer's skipping rules), and its exact row-by-row evaluation.
import { bindPredicate, referencedColumns, type BoundExpr, type ExprLike } from '../expr/bind.js'
import { evalPredicateRows } from '../expr/eval.js'
import { rowGroupMayMatch, selectFiles, type RowGroupColumnStats } from './file-skipping.js'
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
  /** Row-group pruning from Parquet statistics (partition values of the file are exact). */
  keepRowGroup(partitionValues: Map<string, DeltaValue>): (group: { rowCount: number; stats(field: string): RowGroupColumnStats | undefined }) => boolean
  /** 1 where the row passes (SQL three-valued logic: null drops the row). */
  evalRows(batch: { length: number; column(name: string): DeltaValue[] }): Uint8Array
}

export function compileFilter(filter: FilterInput, snapshot: Snapshot): CompiledFilter {
  const bound = bindPredicate(filter, snapshot.schema, { what: 'filter', table: snapshot.tableUrl })
  const fields: StructField[] = []
  for (const key of referencedColumns(bound)) {
    const top = findField(snapshot.schema, keyHead(key))
    if (top && !fields.includes(top)) fields.push(top)
  }
  return {
    bound,
    fields,
    selectFiles: (files) => selectFiles(files, { schema: snapshot.schema, partitionColumns: snapshot.partitionColumns, configuration: snapshot.properties }, bound),
    keepRowGroup: (partitionValues) => (group) => {
      try {
        // row-group stats and partition values are by top-level column only
        const top = (key: string): string | undefined => { const p = keyPath(key); return p.length === 1 ? p[0] : undefined }
        return rowGroupMayMatch(bound, group.rowCount,
          (key) => { const name = top(key); return name === undefined ? undefined : group.stats(name) },
          (key) => { const name = top(key); return name !== undefined && partitionValues.has(name) ? { value: partitionValues.get(name)! } : undefined })
      } catch {
        return true // conservative: when unsure, read the group
      }
    },
    evalRows: (batch) => evalPredicateRows(bound, { length: batch.length, column: (key) => nestedColumn(batch, keyPath(key)) }),
  }
}

/** The values at a path of a batch: the top-level column, then struct access by logical field names. */
function nestedColumn(batch: { length: number; column(name: string): DeltaValue[] }, path: string[]): DeltaValue[] {
  let values = batch.column(path[0]!)
  for (const p of path.slice(1)) {
    values = values.map((v) => (v === null || typeof v !== 'object' ? null : ((v as Record<string, DeltaValue>)[p] ?? null)))
  }
  return values
}
