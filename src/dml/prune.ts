// File pruning for MERGE: a predicate on the target built from the source's join key values (an IN
// list when they are few, else their min/max range), so partition pruning and stats skipping drop
// every target file that cannot hold a matching row.
import { mkLiteral, type BoundExpr } from '../expr/bind.js'
import { comparatorFor, evalExpression, type ColumnBatch } from '../expr/eval.js'
import type { AddFile } from '../log/actions.js'
import type { Snapshot } from '../log/snapshot.js'
import { parseStats } from '../schema/stats.js'
import { pathKey } from '../schema/column-path.js'
import { typeToString, type DataType } from '../schema/types.js'
import type { DeltaValue } from '../schema/values.js'
import { unqualify, type JoinKey } from './join.js'
import type { SourceBatch } from './source.js'

/** Up to this many distinct key values become an IN list (exact partition pruning); more, a range. */
export const IN_LIST_MAX = 64

function prunable(t: DataType): boolean {
  if (typeof t !== 'string') return false
  return t !== 'float' && t !== 'double' && t !== 'binary' && t !== 'variant' && t !== 'void' && !t.startsWith('geo')
}

/** Integer-valued types whose hashed keys (numbers, see keyValues) order as the values do. */
const NUMBER_ORDERED = new Set(['byte', 'short', 'integer', 'long', 'date', 'timestamp', 'timestamp_ntz'])

/**
 * Min, max and the first distinct values of one key from its hashed source keys, as source rows
 * (no value converted or compared through the generic comparator); undefined unless every key is a number.
 */
function numberKeyRange(srcKeys: ArrayLike<unknown>): { minRow: number; maxRow: number; distinct: number[]; sawNull: boolean } | undefined {
  let min = Infinity
  let max = -Infinity
  let minRow = -1
  let maxRow = -1
  let sawNull = false
  const seen = new Set<number>()
  const distinct: number[] = []
  for (let i = 0; i < srcKeys.length; i++) {
    const k = srcKeys[i]
    if (k === undefined) { sawNull = true; continue }
    if (typeof k !== 'number') return undefined
    if (k < min) { min = k; minRow = i }
    if (k > max) { max = k; maxRow = i }
    if (seen.size <= IN_LIST_MAX && !seen.has(k)) { seen.add(k); distinct.push(i) }
  }
  return { minRow, maxRow, distinct, sawNull }
}

/**
 * The conjunction of per-key IN/range predicates (unqualified, on the target schema), or undefined.
 * `srcKeys`: the source rows' hashed keys (keyValues), used for a single key of an integer type.
 */
export function keyRangePredicate(keys: JoinKey[], srcKeys: ArrayLike<unknown>, src: SourceBatch, srcBatch: ColumnBatch): BoundExpr | undefined {
  const parts: BoundExpr[] = []
  for (const k of keys) {
    if (k.target.kind !== 'column' || !prunable(k.target.type)) continue
    const type = k.target.type
    const values = k.source.kind === 'column' ? srcBatch.column(k.source.key) : evalExpression(k.source, srcBatch)
    const fast = keys.length === 1 && !k.nullSafe && srcKeys.length === src.numRows && typeof type === 'string' && NUMBER_ORDERED.has(type)
      && typeToString(k.source.type) === type ? numberKeyRange(srcKeys) : undefined
    if (fast) {
      const col = unqualify(k.target)
      if (fast.minRow < 0) return { bound: true, kind: 'literal', type: 'boolean', value: false }
      if (fast.distinct.length <= IN_LIST_MAX) {
        parts.push({ bound: true, kind: 'in', type: 'boolean', value: col, list: fast.distinct.map((r) => mkLiteral(values[r], type)), negated: false })
      } else {
        parts.push({ bound: true, kind: 'compare', type: 'boolean', op: '>=', left: col, right: mkLiteral(values[fast.minRow], type) })
        parts.push({ bound: true, kind: 'compare', type: 'boolean', op: '<=', left: col, right: mkLiteral(values[fast.maxRow], type) })
      }
      continue
    }
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

/** filesHoldingKeys scans the keys per file while files × keys stays under this (else sorts them). */
export const PRUNE_SCAN = { maxWork: 4_000_000 }

const EXACT_BOUNDS = new Set(['byte', 'short', 'integer', 'long', 'date'])

/**
 * Finer than a range: keep only files whose [min, max] stats of the key column contain at least one
 * source key (binary search over the sorted keys). For many scattered keys over many files, where
 * the single min–max range of the source covers everything. Integer and date keys only (their
 * bounds are exact); files without usable stats are kept.
 */
export function filesHoldingKeys(files: AddFile[], snapshot: Snapshot, key: JoinKey, srcKeys: ArrayLike<unknown>): AddFile[] {
  if (key.target.kind !== 'column' || key.target.path.length !== 1 || key.nullSafe) return files
  const type = key.target.type
  if (typeof type !== 'string' || !EXACT_BOUNDS.has(type)) return files
  const name = key.target.path[0]
  if (snapshot.partitionColumns.some((c) => c.toLowerCase() === name.toLowerCase())) return files
  // the hashed keys of the one join key: numbers (bigints beyond 2^53 stay bigints), undefined for null
  const all = new Float64Array(srcKeys.length)
  let n = 0
  for (let i = 0; i < srcKeys.length; i++) {
    const v = srcKeys[i]
    if (v === null || v === undefined) continue
    all[n++] = typeof v === 'number' ? v : Number(v) // ordering only: a long beyond 2^53 rounds, so comparisons below stay conservative
  }
  if (n <= IN_LIST_MAX) return files
  const statsKey = pathKey([name])
  const ranges = files.map((f) => {
    const s = parseStats(f.stats, snapshot.schema, snapshot.columnMappingMode)
    const lo = s?.minValues[statsKey]
    const hi = s?.maxValues[statsKey]
    return lo === undefined || hi === undefined || lo === null || hi === null ? undefined : { min: Number(lo), max: Number(hi) }
  })
  // Few files: a scan of the keys per file, stopping at the first inside (random keys stop early);
  // many files: the keys sorted once, a binary search per file.
  if (files.length * n <= PRUNE_SCAN.maxWork) {
    return files.filter((_, i) => {
      const r = ranges[i]
      if (!r) return true
      for (let j = 0; j < n; j++) if (all[j] >= r.min && all[j] <= r.max) return true
      return false
    })
  }
  const keys = all.subarray(0, n).sort()
  return files.filter((_, i) => {
    const r = ranges[i]
    if (!r) return true
    // first key ≥ min
    let a = 0
    let b = keys.length
    while (a < b) { const m = (a + b) >>> 1; if (keys[m] < r.min) a = m + 1; else b = m }
    return a < keys.length && keys[a] <= r.max
  })
}
