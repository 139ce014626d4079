// File selection for a filter: partition pruning (the predicate evaluated exactly on a file's
// partition values) and data skipping on min/max/nullCount statistics, for whole files (add.stats)
// and for Parquet row groups. Sound by construction: a file is dropped only when no row in it can
// make the predicate TRUE; anything not understood keeps the file.
import type { AddFile } from '../log/actions.js'
import { columnMappingMode, findField, type DataType, type StructType } from '../schema/types.js'
import type { DeltaValue } from '../schema/values.js'
import { parsePartitionValues } from '../schema/partition-values.js'
import { parseStats, type FileStats } from '../schema/stats.js'
import { bindPredicate, referencedColumns, walkBound, type BoundCompare, type BoundExpr, type ExprLike } from '../expr/bind.js'
import { comparatorFor, evalRow } from '../expr/eval.js'
import { castValue, isFloating, isNumeric } from '../expr/cast.js'
import type { Expr } from '../expr/ast.js'

export interface SnapshotInfo {
  schema: StructType
  partitionColumns: string[]
  configuration: Record<string, string>
}

/** Min/max/null facts about one column over a set of rows (a file or a row group). */
export interface ColumnBounds {
  min?: DeltaValue
  max?: DeltaValue
  /** The max may be a truncated prefix (strings): true values can extend it. */
  maxIsPrefix?: boolean
  nullCount?: number
}

/** What is known about the rows of one file or row group, by bound column key. */
export interface RowSetSummary {
  rowCount?: number
  /** Columns whose value is the same known value in every row (partition columns). */
  exact: (key: string) => { value: DeltaValue } | undefined
  bounds: (key: string) => ColumnBounds | undefined
}

// ───────────────────────────── negation normal form ─────────────────────────────

const FLIP: Record<string, BoundCompare['op']> = { '=': '<>', '<>': '=', '<': '>=', '<=': '>', '>': '<=', '>=': '<' }

/**
 * Push NOT down to the leaves (valid in three-valued logic: NOT(a < b) is TRUE exactly when a >= b
 * is) so that skipping never has to reason about "not may-match". Boolean columns become `c = true`.
 */
export function toNnf(e: BoundExpr, negate = false): BoundExpr {
  switch (e.kind) {
    case 'and': case 'or': {
      const kind = (e.kind === 'and') !== negate ? 'and' : 'or'
      return { ...e, kind, args: e.args.map((a) => toNnf(a, negate)) }
    }
    case 'not': return toNnf(e.arg, !negate)
    case 'compare':
      if (!negate) return e
      if (e.op === '<=>') return { bound: true, kind: 'not', type: 'boolean', arg: e }
      return { ...e, op: FLIP[e.op] }
    case 'isNull': case 'in': case 'like':
      return negate ? { ...e, negated: !e.negated } : e
    case 'literal':
      return negate && typeof e.value === 'boolean' ? { ...e, value: !e.value } : e
    case 'column':
      if (e.type === 'boolean') {
        return { bound: true, kind: 'compare', type: 'boolean', op: '=', left: e, right: { bound: true, kind: 'literal', type: 'boolean', value: !negate } }
      }
      return negate ? { bound: true, kind: 'not', type: 'boolean', arg: e } : e
    default:
      return negate ? { bound: true, kind: 'not', type: 'boolean', arg: e } : e
  }
}

// ───────────────────────────── intervals ─────────────────────────────

interface Interval {
  type: DataType
  lo?: DeltaValue
  hi?: DeltaValue
  /** hi is a string prefix: true values may be any extension of it. */
  hiPrefix?: boolean
  /**
   * Floating column whose max may leave NaN out (Parquet writers and delta-rs exclude NaN from
   * min/max; Spark's aggregates do not): values are ≤ hi or NaN, and NaN sorts above everything.
   */
  hiNaN?: boolean
  /** Every row is null. */
  allNull: boolean
  /** No row is null. */
  noNull: boolean
}

const UNKNOWN = (type: DataType): Interval => ({ type, allNull: false, noNull: false })

class Reasoner {
  private readonly refs = new Map<BoundExpr, string[]>()
  constructor(private readonly s: RowSetSummary) {}

  private colsOf(e: BoundExpr): string[] {
    let r = this.refs.get(e)
    if (!r) {
      r = referencedColumns(e)
      this.refs.set(e, r)
    }
    return r
  }

  /** When every column of `e` has a known single value, its exact value; undefined otherwise. */
  private exactly(e: BoundExpr): { value: DeltaValue } | undefined {
    const row: Record<string, DeltaValue> = {}
    for (const k of this.colsOf(e)) {
      const x = this.s.exact(k)
      if (!x) return undefined
      row[k] = x.value
    }
    try {
      return { value: evalRow(e, row) }
    } catch {
      return undefined
    }
  }

  interval(e: BoundExpr): Interval {
    const ex = this.exactly(e)
    if (ex) return { type: e.type, lo: ex.value, hi: ex.value, allNull: ex.value === null, noNull: ex.value !== null }
    if (e.kind === 'column') {
      const b = this.s.bounds(e.key)
      if (!b) return UNKNOWN(e.type)
      const n = this.s.rowCount
      const allNull = b.nullCount !== undefined && n !== undefined && b.nullCount === n && n > 0
      const iv: Interval = { type: e.type, allNull, noNull: b.nullCount === 0 }
      const floating = isFloating(e.type)
      // a NaN min is a writer bug (NaN pinned the running min), not a bound
      if (b.min !== undefined && b.min !== null && !(floating && Number.isNaN(b.min))) iv.lo = b.min
      if (b.max !== undefined && b.max !== null) {
        iv.hi = b.max
        if (b.maxIsPrefix) iv.hiPrefix = true
        if (floating && !Number.isNaN(b.max)) iv.hiNaN = true
      }
      return iv
    }
    if (e.kind === 'cast' && isMonotoneCast(e.arg.type, e.type)) {
      const a = this.interval(e.arg)
      const out: Interval = { type: e.type, allNull: a.allNull, noNull: a.noNull }
      if (a.hiNaN) out.hiNaN = true
      try {
        if (a.lo !== undefined) out.lo = castValue(a.lo, e.arg.type, e.type)
        if (a.hi !== undefined && !a.hiPrefix) out.hi = castValue(a.hi, e.arg.type, e.type)
      } catch {
        return { ...UNKNOWN(e.type), allNull: a.allNull, noNull: a.noNull }
      }
      return out
    }
    return UNKNOWN(e.type)
  }

  /** may() for a whole predicate: an empty row set matches nothing. */
  mayRoot(e: BoundExpr): boolean {
    return this.s.rowCount === 0 ? false : this.may(e)
  }

  /** False only when no row can make `e` (in NNF) TRUE. */
  may(e: BoundExpr): boolean {
    const ex = this.exactly(e)
    if (ex) return ex.value === true
    switch (e.kind) {
      case 'and': return e.args.every((a) => this.may(a))
      case 'or': return e.args.some((a) => this.may(a))
      case 'compare': return this.mayCompare(e)
      case 'isNull': {
        const iv = this.interval(e.arg)
        return e.negated ? !iv.allNull : !iv.noNull
      }
      case 'in': {
        const v = this.interval(e.value)
        if (v.allNull) return false
        if (e.negated) {
          // NOT IN is TRUE only for a value differing from every element: impossible when the
          // column is one known point that is in the list
          if (!isPoint(v)) return true
          const cmp = comparatorFor(v.type)
          return !e.list.some((x) => x.kind === 'literal' && x.value !== null && cmp(x.value, v.lo!) === 0)
        }
        return e.list.some((x) => {
          const w = this.interval(x)
          return !w.allNull && overlaps(v, w)
        })
      }
      case 'like': {
        const v = this.interval(e.value)
        if (v.allNull) return false
        if (e.negated || e.caseInsensitive || e.pattern.kind !== 'literal' || typeof e.pattern.value !== 'string') return true
        const { prefix, exact } = likePrefix(e.pattern.value, e.escape)
        if (exact) return overlaps(v, { type: 'string', lo: prefix, hi: prefix, allNull: false, noNull: true })
        if (prefix === '') return true
        return overlaps(v, { type: 'string', lo: prefix, hi: prefix, hiPrefix: true, allNull: false, noNull: true })
      }
      case 'call':
        if (e.name === 'startswith' && e.args[1].kind === 'literal' && typeof e.args[1].value === 'string') {
          const v = this.interval(e.args[0])
          if (v.allNull) return false
          return overlaps(v, { type: 'string', lo: e.args[1].value, hi: e.args[1].value, hiPrefix: true, allNull: false, noNull: true })
        }
        return true
      case 'literal': return e.value === true
      default: return true
    }
  }

  private mayCompare(e: BoundCompare): boolean {
    const l = this.interval(e.left)
    const r = this.interval(e.right)
    if (e.op === '<=>') {
      // null-safe equality with a literal: `x <=> NULL` is IS NULL, `x <=> 5` is `x = 5`
      const [c, lit, civ] = e.right.kind === 'literal' ? [l, e.right, r] : e.left.kind === 'literal' ? [r, e.left, l] : []
      if (!c || !lit || !civ) return true
      if (lit.value === null) return !c.noNull
      return !c.allNull && overlaps(c, civ)
    }
    if (l.allNull || r.allNull) return false
    const t = e.left.type
    switch (e.op) {
      case '=': return overlaps(l, r)
      case '<>': return !(isPoint(l) && isPoint(r) && comparatorFor(t)(l.lo!, r.lo!) === 0)
      case '<': return !(l.lo !== undefined && atOrAboveHi(l.lo, r, true))
      case '<=': return !(l.lo !== undefined && atOrAboveHi(l.lo, r, false))
      case '>': return !(r.lo !== undefined && atOrAboveHi(r.lo, l, true))
      case '>=': return !(r.lo !== undefined && atOrAboveHi(r.lo, l, false))
    }
  }

  /** True only when every row makes `e` (in NNF) TRUE. */
  must(e: BoundExpr): boolean {
    const ex = this.exactly(e)
    if (ex) return ex.value === true
    switch (e.kind) {
      case 'and': return e.args.every((a) => this.must(a))
      case 'or': return e.args.some((a) => this.must(a))
      case 'literal': return e.value === true
      case 'isNull': {
        const iv = this.interval(e.arg)
        return e.negated ? iv.noNull : iv.allNull
      }
      case 'compare': {
        if (e.op === '<=>') return false
        const l = this.interval(e.left)
        const r = this.interval(e.right)
        if (!l.noNull || !r.noNull) return false
        const cmp = comparatorFor(e.left.type)
        const hiL = closedHi(l)
        const hiR = closedHi(r)
        switch (e.op) {
          case '=': return isPoint(l) && isPoint(r) && cmp(l.lo!, r.lo!) === 0
          case '<>': return hiL !== undefined && r.lo !== undefined && cmp(hiL, r.lo) < 0 || hiR !== undefined && l.lo !== undefined && cmp(hiR, l.lo) < 0
          case '<': return hiL !== undefined && r.lo !== undefined && cmp(hiL, r.lo) < 0
          case '<=': return hiL !== undefined && r.lo !== undefined && cmp(hiL, r.lo) <= 0
          case '>': return hiR !== undefined && l.lo !== undefined && cmp(hiR, l.lo) < 0
          case '>=': return hiR !== undefined && l.lo !== undefined && cmp(hiR, l.lo) <= 0
        }
        return false
      }
      case 'in': {
        if (e.negated) return false
        const v = this.interval(e.value)
        if (!v.noNull || !isPoint(v)) return false
        const cmp = comparatorFor(v.type)
        return e.list.some((x) => x.kind === 'literal' && x.value !== null && cmp(x.value, v.lo!) === 0)
      }
      default: return false
    }
  }
}

function closedHi(iv: Interval): DeltaValue | undefined {
  return iv.hiPrefix || iv.hiNaN ? undefined : iv.hi
}

function isPoint(iv: Interval): boolean {
  return iv.lo !== undefined && iv.hi !== undefined && !iv.hiPrefix && !iv.hiNaN && iv.noNull && comparatorFor(iv.type)(iv.lo, iv.hi) === 0
}

function mayHoldNaN(iv: Interval): boolean {
  return isFloating(iv.type) && (iv.hiNaN === true || iv.hi === undefined || Number.isNaN(iv.hi))
}

/**
 * Whether v is at or above every value the interval allows (`strict`: v ≥ all; else v > all).
 * A prefix upper bound p allows any extension of p, so only a v above p that does not start with
 * p is above them all.
 */
function atOrAboveHi(v: DeltaValue, iv: Interval, strict: boolean, ignoreHiddenNaN = false): boolean {
  if (iv.hi === undefined) return false
  if (iv.hiNaN && !ignoreHiddenNaN) return false
  const c = comparatorFor(iv.type)(v, iv.hi)
  if (iv.hiPrefix) return c > 0 && !(v as string).startsWith(iv.hi as string)
  return strict ? c >= 0 : c > 0
}

/** Whether two intervals may share a value. */
function overlaps(a: Interval, b: Interval): boolean {
  // NaN = NaN in Spark: a NaN hidden on one side may meet a NaN on the other
  if ((a.hiNaN && mayHoldNaN(b)) || (b.hiNaN && mayHoldNaN(a))) return true
  // otherwise a hidden NaN cannot equal the other side's (non-NaN) values, so hi bounds the rest
  if (a.lo !== undefined && atOrAboveHi(a.lo, b, false, true)) return false
  if (b.lo !== undefined && atOrAboveHi(b.lo, a, false, true)) return false
  return true
}

/** The literal prefix of a LIKE pattern and whether the pattern has no wildcard at all. */
export function likePrefix(pattern: string, escape = '\\'): { prefix: string; exact: boolean } {
  let prefix = ''
  const cps = [...pattern]
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i]
    if (c === escape) {
      if (i + 1 >= cps.length) return { prefix, exact: false }
      prefix += cps[++i]
    } else if (c === '%' || c === '_') return { prefix, exact: false }
    else prefix += c
  }
  return { prefix, exact: true }
}

/** Casts that never reverse order (so bounds map to bounds). */
function isMonotoneCast(from: DataType, to: DataType): boolean {
  if (isNumeric(from) && isNumeric(to)) return true
  if ((from === 'date' || from === 'timestamp' || from === 'timestamp_ntz') && (to === 'date' || to === 'timestamp' || to === 'timestamp_ntz')) return true
  return false
}

// ───────────────────────────── public entry points ─────────────────────────────

/** Whether some row of a summarised row set may satisfy the predicate (sound: false means none can). */
export function rowSetMayMatch(predicate: BoundExpr, summary: RowSetSummary): boolean {
  return new Reasoner(summary).mayRoot(toNnf(predicate))
}

/** Whether every row of a summarised row set satisfies the predicate (sound: true means all do). */
export function rowSetMustMatch(predicate: BoundExpr, summary: RowSetSummary): boolean {
  return new Reasoner(summary).must(toNnf(predicate))
}

/** The default `delta.dataSkippingStringPrefixLength`: Delta truncates string stats to 32 characters. */
const STRING_PREFIX_LENGTH = 32

/** Skipping bounds for one column from parsed file stats (timestamps widened, long strings as prefixes). */
export function boundsFromStats(stats: FileStats, key: string, type: DataType, prefixLength = STRING_PREFIX_LENGTH): ColumnBounds | undefined {
  const min = stats.minValues[key]
  let max = stats.maxValues[key]
  const nullCount = stats.nullCount[key]
  if (min === undefined && max === undefined && nullCount === undefined) return undefined
  const b: ColumnBounds = {}
  if (min !== undefined) b.min = min
  if (max !== undefined && max !== null) {
    // PROTOCOL.md "Per-file Statistics": timestamps are truncated to milliseconds, so the true max
    // lies up to 999 µs above the recorded one.
    if ((type === 'timestamp' || type === 'timestamp_ntz') && typeof max === 'bigint') max += 999n
    b.max = max
    if (type === 'string' && typeof max === 'string' && max.length >= prefixLength) b.maxIsPrefix = true
  }
  if (nullCount !== undefined) b.nullCount = nullCount
  return b
}

/** The summary of one add action: its partition values exactly, its stats as bounds. */
export function fileSummary(file: AddFile, info: SnapshotInfo, statsNeeded = true): RowSetSummary {
  const mode = columnMappingMode(info.configuration)
  const parts = parsePartitionValues(file.partitionValues, info.schema, info.partitionColumns, mode, { file: file.path })
  const prefixLength = Number(info.configuration['delta.dataSkippingStringPrefixLength'] ?? STRING_PREFIX_LENGTH) || STRING_PREFIX_LENGTH
  let stats: FileStats | undefined | null = statsNeeded ? undefined : null
  const getStats = (): FileStats | undefined => {
    if (stats === undefined) stats = parseStats(file.stats, info.schema, mode) ?? null
    return stats ?? undefined
  }
  const types = new Map<string, DataType>()
  return {
    get rowCount() { return getStats()?.numRecords },
    exact: (key) => (Object.prototype.hasOwnProperty.call(parts, key) ? { value: parts[key] } : undefined),
    bounds: (key) => {
      const st = getStats()
      if (!st) return undefined
      let t = types.get(key)
      if (t === undefined) {
        t = typeAtPath(info.schema, key.split('.'))
        if (t === undefined) return undefined
        types.set(key, t)
      }
      return boundsFromStats(st, key, t, prefixLength)
    },
  }
}

function typeAtPath(schema: StructType, path: string[]): DataType | undefined {
  let t: DataType = schema
  for (const p of path) {
    if (typeof t !== 'object' || t.type !== 'struct') return undefined
    const f = findField(t, p)
    if (!f) return undefined
    t = f.type
  }
  return t
}

function bindFilter(filter: ExprLike | Expr | BoundExpr, info: SnapshotInfo): BoundExpr {
  return bindPredicate(filter, info.schema, { what: 'filter' })
}

/** Whether a bound predicate reads only partition columns (replaceWhere's whole-file case). */
export function isPartitionOnly(predicate: BoundExpr, partitionColumns: string[]): boolean {
  const parts = new Set(partitionColumns.map((c) => c.toLowerCase()))
  return referencedColumns(predicate).every((k) => parts.has(k.toLowerCase()))
}

/**
 * The files a filter may need: partition pruning, then stats skipping. A file is dropped only when
 * no row in it can satisfy the filter; unparseable partition values or stats keep the file.
 */
export function selectFiles(files: AddFile[], info: SnapshotInfo, filter: ExprLike | Expr | BoundExpr | null | undefined): AddFile[] {
  if (filter === null || filter === undefined) return files
  const nnf = toNnf(bindFilter(filter, info))
  const statsNeeded = !isPartitionOnly(nnf, info.partitionColumns)
  return files.filter((f) => {
    try {
      return new Reasoner(fileSummary(f, info, statsNeeded)).mayRoot(nnf)
    } catch {
      return true
    }
  })
}

/**
 * Whether every row of the file satisfies the predicate, judged from its partition values (and its
 * stats, when `useStats`): such a file can be removed whole by overwrite/replaceWhere/DELETE.
 */
export function predicateCoversFile(predicate: ExprLike | Expr | BoundExpr, file: AddFile, info: SnapshotInfo, useStats = false): boolean {
  const nnf = toNnf(bindFilter(predicate, info))
  try {
    const summary = fileSummary(file, info, useStats)
    return new Reasoner(summary).must(nnf)
  } catch {
    return false
  }
}

/** Parquet row-group statistics for one column, as the scan converts them to Delta values. */
export interface RowGroupColumnStats {
  min?: DeltaValue
  max?: DeltaValue
  nullCount?: number
  /** False when the writer truncated the max (Parquet `is_max_value_exact`). */
  maxExact?: boolean
}

/** Whether a Parquet row group may hold rows satisfying the predicate (keys are bound column keys). */
export function rowGroupMayMatch(predicate: BoundExpr, rowCount: number, stats: (key: string) => RowGroupColumnStats | undefined,
  exact: (key: string) => { value: DeltaValue } | undefined = () => undefined): boolean {
  const types = new Map<string, DataType>()
  walkBound(predicate, (n) => { if (n.kind === 'column') types.set(n.key, n.type) })
  return rowSetMayMatch(predicate, {
    rowCount,
    exact,
    bounds: (key) => {
      const s = stats(key)
      if (!s) return undefined
      const b: ColumnBounds = {}
      // Parquet timestamp statistics usually reach us through millisecond Dates (truncated toward
      // zero, so off by up to 999 µs either way): widen both ends.
      const t = types.get(key)
      const slack = (t === 'timestamp' || t === 'timestamp_ntz') ? 999n : 0n
      if (s.min !== undefined && s.min !== null) b.min = typeof s.min === 'bigint' ? s.min - slack : s.min
      if (s.max !== undefined && s.max !== null) {
        b.max = typeof s.max === 'bigint' ? s.max + slack : s.max
        if (s.maxExact === false && typeof s.max === 'string') b.maxIsPrefix = true
        else if (s.maxExact === false) delete b.max
      }
      if (s.nullCount !== undefined) b.nullCount = s.nullCount
      return b
    },
  })
}
