// File pruning for MERGE: a predicate on the target built from the source's join key values (an IN
// list when they are few, else their min/max range), so partition pruning and stats skipping drop
// every target file that cannot hold a matching row.
import { mkLiteral, type BoundExpr } from '../expr/bind.js'
import { comparatorFor, evalExpression, type ColumnBatch } from '../expr/eval.js'
import type { DataType } from '../schema/types.js'
import type { DeltaValue } from '../schema/values.js'
import { unqualify, type JoinKey } from './join.js'
import type { SourceBatch } from './source.js'

/** Up to this many distinct key values become an IN list (exact partition pruning); more, a range. */
export const IN_LIST_MAX = 64

function prunable(t: DataType): boolean {
  if (typeof t !== 'string') return false
  return t !== 'float' && t !== 'double' && t !== 'binary' && t !== 'variant' && t !== 'void' && !t.startsWith('geo')
}

/** The conjunction of per-key IN/range predicates (unqualified, on the target schema), or undefined. */
export function keyRangePredicate(keys: JoinKey[], _srcKeys: unknown[], src: SourceBatch, srcBatch: ColumnBatch): BoundExpr | undefined {
  const parts: BoundExpr[] = []
  for (const k of keys) {
    if (k.target.kind !== 'column' || !prunable(k.target.type)) continue
    const type = k.target.type
    const values = k.source.kind === 'column' ? srcBatch.column(k.source.key) : evalExpression(k.source, srcBatch)
    const distinct = new Set<DeltaValue>()
    let sawNull = false
    let min: DeltaValue = null
    let max: DeltaValue = null
    const cmp = comparatorFor(type)
    for (let i = 0; i < src.numRows; i++) {
      const v = values[i] ?? null
      if (v === null) { sawNull = true; continue }
      if (distinct.size <= IN_LIST_MAX) distinct.add(v)
      if (min === null || cmp(v, min) < 0) min = v
      if (max === null || cmp(v, max) > 0) max = v
    }
    if (sawNull && k.nullSafe) continue // `<=>` matches null target keys too
    const col = unqualify(k.target)
    if (min === null) return { bound: true, kind: 'literal', type: 'boolean', value: false }
    if (distinct.size <= IN_LIST_MAX) {
      parts.push({ bound: true, kind: 'in', type: 'boolean', value: col, list: [...distinct].map((v) => mkLiteral(v, type)), negated: false })
    } else {
      parts.push({ bound: true, kind: 'compare', type: 'boolean', op: '>=', left: col, right: mkLiteral(min, type) })
      parts.push({ bound: true, kind: 'compare', type: 'boolean', op: '<=', left: col, right: mkLiteral(max, type) })
    }
  }
  if (parts.length === 0) return undefined
  return parts.length === 1 ? parts[0] : { bound: true, kind: 'and', type: 'boolean', args: parts }
}
