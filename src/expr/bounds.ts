// Reasoning about a predicate over a set of rows known only by summaries: exact values of some
// columns (partition values) and min/max/null-count bounds of others (file stats, Parquet row-group
// statistics). Sound by construction: "may match" is false only when no row can satisfy the
// predicate, "must match" true only when every row does. NOT is pushed down first (toNnf).
import type { DataType } from '../schema/types.js'
import type { DeltaValue } from '../schema/values.js'
import { referencedColumns, type BoundCompare, type BoundExpr } from './bind.js'
import { comparatorFor, evalRow } from './eval.js'
import { castValue, isFloating, isNumeric } from './cast.js'

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
      case 'and': return e.args.every((a) => this.may(a)) && this.mayRanges(e.args)
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

  /**
   * Conjuncts bounding one column from both sides (`x >= 3 AND x <= 4`, BETWEEN) make a range that
   * may be empty, or that excludes NaN (any finite upper bound does) so that a floating column's max
   * can be trusted even when it leaves NaN out. Checked per column over the literal comparisons.
   */
  private mayRanges(args: BoundExpr[]): boolean {
    type Range = { col: BoundExpr & { kind: 'column' }; lo?: DeltaValue; loStrict: boolean; hi?: DeltaValue; hiStrict: boolean }
    const ranges = new Map<string, Range>()
    for (const a of args) {
      if (a.kind !== 'compare' || a.op === '<>' || a.op === '<=>') continue
      let op = a.op
      let c = a.left
      let l = a.right
      if (c.kind === 'literal' && l.kind === 'column') {
        [c, l] = [l, c]
        op = op === '<' ? '>' : op === '<=' ? '>=' : op === '>' ? '<' : op === '>=' ? '<=' : op
      }
      if (c.kind !== 'column' || l.kind !== 'literal' || l.value === null) continue
      if (isFloating(c.type) && Number.isNaN(l.value)) continue
      const cmp = comparatorFor(c.type)
      let r = ranges.get(c.key)
      if (!r) {
        r = { col: c, loStrict: false, hiStrict: false }
        ranges.set(c.key, r)
      }
      const v = l.value
      if (op === '>' || op === '>=' || op === '=') {
        const strict = op === '>'
        const k = r.lo === undefined ? 1 : cmp(v, r.lo)
        if (k > 0 || (k === 0 && strict)) { r.lo = v; r.loStrict = strict }
      }
      if (op === '<' || op === '<=' || op === '=') {
        const strict = op === '<'
        const k = r.hi === undefined ? -1 : cmp(v, r.hi)
        if (k < 0 || (k === 0 && strict)) { r.hi = v; r.hiStrict = strict }
      }
    }
    for (const r of ranges.values()) {
      if (r.lo === undefined || r.hi === undefined) continue
      const cmp = comparatorFor(r.col.type)
      const k = cmp(r.lo, r.hi)
      if (k > 0 || (k === 0 && (r.loStrict || r.hiStrict))) return false // empty range
      const iv = this.interval(r.col)
      if (iv.allNull) return false
      // every value lies above the range (the range's finite top excludes NaN)
      if (iv.lo !== undefined) {
        const c = cmp(iv.lo, r.hi)
        if (c > 0 || (c === 0 && r.hiStrict)) return false
      }
      // every value lies below the range: a hidden NaN is not in it either
      if (atOrAboveHi(r.lo, iv, r.loStrict, true)) return false
    }
    return true
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

// ───────────────────────────── entry points ─────────────────────────────

/** A predicate prepared once (negation pushed down) and checked against many row-set summaries. */
export interface BoundsCheck {
  /** False only when no row of the set can make the predicate TRUE. */
  mayMatch(summary: RowSetSummary): boolean
  /** True only when every row of the set makes the predicate TRUE. */
  mustMatch(summary: RowSetSummary): boolean
}

export function compileBoundsCheck(predicate: BoundExpr): BoundsCheck {
  const nnf = toNnf(predicate)
  return {
    mayMatch: (summary) => new Reasoner(summary).mayRoot(nnf),
    mustMatch: (summary) => new Reasoner(summary).must(nnf),
  }
}

/** Whether some row of a summarised row set may satisfy the predicate (sound: false means none can). */
export function rowSetMayMatch(predicate: BoundExpr, summary: RowSetSummary): boolean {
  return compileBoundsCheck(predicate).mayMatch(summary)
}

/** Whether every row of a summarised row set satisfies the predicate (sound: true means all do). */
export function rowSetMustMatch(predicate: BoundExpr, summary: RowSetSummary): boolean {
  return compileBoundsCheck(predicate).mustMatch(summary)
}
