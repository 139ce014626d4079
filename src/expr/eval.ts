// Evaluation of bound expressions over a columnar batch, with SQL three-valued logic: a predicate
// keeps a row only when it is TRUE (NULL and FALSE drop it); `evalExpression` computes values
// (UPDATE SET, MERGE assignments).
import { ExpressionError } from '../errors.js'
import type { DataType } from '../schema/types.js'
import { compareBytes, compareNumbers, compareStrings, compareValues, valuesEqual, type DeltaValue } from '../schema/values.js'
import type { BoundCompare, BoundExpr, BoundLike } from './bind.js'
import { arithmeticType, evalArith, evalNegate } from './arith.js'
import { castValue, isFloating } from './cast.js'
import { evalCall } from './functions.js'

/** Rows in columns: `column(key)` gives the values of a bound column key (logical dotted path, or `side.path`). */
export interface ColumnBatch {
  length: number
  column(key: string): ArrayLike<DeltaValue>
}

type Vec = { c: true; v: DeltaValue } | { c: false; a: ArrayLike<DeltaValue> }
const cnst = (v: DeltaValue): Vec => ({ c: true, v })
const arr = (a: ArrayLike<DeltaValue>): Vec => ({ c: false, a })
const at = (x: Vec, i: number): DeltaValue => (x.c ? x.v : x.a[i] ?? null)

/** Which rows satisfy the predicate: 1 where it is TRUE, 0 where FALSE or NULL. */
export function evalPredicateRows(e: BoundExpr, batch: ColumnBatch): Uint8Array {
  if (e.type !== 'boolean' && e.type !== 'void') throw new ExpressionError(`a filter must be boolean, got ${String(e.type)}`)
  const n = batch.length
  const v = new Ev(batch).vec(e)
  const out = new Uint8Array(n)
  if (v.c) return v.v === true ? out.fill(1) : out
  for (let i = 0; i < n; i++) out[i] = v.a[i] === true ? 1 : 0
  return out
}

/** The value of an expression for every row of the batch. */
export function evalExpression(e: BoundExpr, batch: ColumnBatch): DeltaValue[] {
  const v = new Ev(batch).vec(e)
  const out = new Array<DeltaValue>(batch.length)
  for (let i = 0; i < batch.length; i++) out[i] = at(v, i)
  return out
}

/** One row given as a record of column key → value (for tests and small callers). */
export function evalRow(e: BoundExpr, row: Record<string, DeltaValue>): DeltaValue {
  return evalExpression(e, { length: 1, column: (k) => [k in row ? row[k] : null] })[0]
}

/** A comparator for two non-null values of one type, fast paths for the common types. */
export function comparatorFor(t: DataType): (a: DeltaValue, b: DeltaValue) => number {
  if (isFloating(t)) return (a, b) => compareNumbers(a as number, b as number)
  if (t === 'string') return (a, b) => compareStrings(a as string, b as string)
  if (t === 'binary') return (a, b) => compareBytes(a as Uint8Array, b as Uint8Array)
  if (typeof t === 'string' && t !== 'variant') return (a, b) => ((a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0)
  return (a, b) => compareValues(a, b, t)
}

/** Turn a LIKE pattern into an anchored RegExp (`%` any run, `_` one character, escape char literalises). */
export function likeRegExp(pattern: string, escape = '\\', caseInsensitive = false): RegExp {
  let re = ''
  const cps = [...pattern]
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i]
    if (c === escape) {
      const next = cps[++i]
      if (next === undefined) throw new ExpressionError(`LIKE pattern ${JSON.stringify(pattern)} ends with the escape character`)
      re += next.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')
    } else if (c === '%') re += '[\\s\\S]*'
    else if (c === '_') re += '[\\s\\S]'
    else re += c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')
  }
  return new RegExp(`^${re}$`, caseInsensitive ? 'iu' : 'u')
}

class Ev {
  private readonly cols = new Map<string, ArrayLike<DeltaValue>>()
  constructor(private readonly batch: ColumnBatch) {}

  private get n(): number { return this.batch.length }

  private map1(x: Vec, f: (v: DeltaValue) => DeltaValue): Vec {
    if (x.c) return cnst(f(x.v))
    const out = new Array<DeltaValue>(this.n)
    for (let i = 0; i < this.n; i++) out[i] = f(x.a[i] ?? null)
    return arr(out)
  }

  private map2(x: Vec, y: Vec, f: (a: DeltaValue, b: DeltaValue) => DeltaValue): Vec {
    if (x.c && y.c) return cnst(f(x.v, y.v))
    const out = new Array<DeltaValue>(this.n)
    for (let i = 0; i < this.n; i++) out[i] = f(at(x, i), at(y, i))
    return arr(out)
  }

  vec(e: BoundExpr): Vec {
    switch (e.kind) {
      case 'literal': return cnst(e.value)
      case 'column': {
        let c = this.cols.get(e.key)
        if (!c) {
          c = this.batch.column(e.key)
          this.cols.set(e.key, c)
        }
        return arr(c)
      }
      case 'compare': return this.compare(e)
      case 'and': case 'or': {
        const isAnd = e.kind === 'and'
        const parts = e.args.map((a) => this.vec(a))
        const decided = !isAnd // value that decides the junction: false for AND, true for OR
        if (parts.every((p) => p.c)) return cnst(junction(parts.map((p) => (p as { v: DeltaValue }).v), decided))
        const out = new Array<DeltaValue>(this.n)
        for (let i = 0; i < this.n; i++) {
          let sawNull = false
          let result: DeltaValue = !decided
          for (const p of parts) {
            const v = at(p, i)
            if (v === decided) { result = decided; sawNull = false; break }
            if (v === null) sawNull = true
          }
          out[i] = sawNull ? null : result
        }
        return arr(out)
      }
      case 'not': return this.map1(this.vec(e.arg), (v) => (v === null ? null : !v))
      case 'isNull': return this.map1(this.vec(e.arg), (v) => (v === null) !== e.negated)
      case 'in': {
        const value = this.vec(e.value)
        const list = e.list.map((x) => this.vec(x))
        const t = e.value.type
        const cmp = comparatorFor(t)
        const constSet = t !== 'binary' && !isFloating(t) && list.every((x) => x.c) && typeof t === 'string'
          ? new Set(list.map((x) => (x as { v: DeltaValue }).v)) : undefined
        const listHasNull = constSet?.has(null) ?? false
        const test = (v: DeltaValue, i: number): DeltaValue => {
          if (v === null) return null
          if (constSet) {
            if (constSet.has(v)) return !e.negated
            return listHasNull ? null : e.negated
          }
          let sawNull = false
          for (const x of list) {
            const w = at(x, i)
            if (w === null) sawNull = true
            else if (cmp(v, w) === 0) return !e.negated
          }
          return sawNull ? null : e.negated
        }
        if (value.c && list.every((x) => x.c)) return cnst(test(value.v, 0))
        const out = new Array<DeltaValue>(this.n)
        for (let i = 0; i < this.n; i++) out[i] = test(at(value, i), i)
        return arr(out)
      }
      case 'like': return this.like(e)
      case 'arith': {
        const types = arithmeticType(e.op, e.left.type, e.right.type) ?? { result: e.type, left: e.left.type, right: e.right.type }
        const fixed = { ...types, result: e.type }
        return this.map2(this.vec(e.left), this.vec(e.right), (a, b) => (a === null || b === null ? null : evalArith(e.op, a, b, fixed)))
      }
      case 'negate': return this.map1(this.vec(e.arg), (v) => (v === null ? null : evalNegate(v, e.type)))
      case 'cast': {
        const from = e.arg.type
        return this.map1(this.vec(e.arg), (v) => castValue(v, from, e.type))
      }
      case 'call': {
        const args = e.args.map((a) => this.vec(a))
        if (args.every((a) => a.c)) return cnst(evalCall(e, args.map((a) => (a as { v: DeltaValue }).v)))
        const out = new Array<DeltaValue>(this.n)
        for (let i = 0; i < this.n; i++) out[i] = evalCall(e, args.map((a) => at(a, i)))
        return arr(out)
      }
      case 'case': {
        const whens = e.branches.map((b) => this.vec(b.when))
        const thens = e.branches.map((b) => this.vec(b.then))
        const otherwise = this.vec(e.else)
        const out = new Array<DeltaValue>(this.n)
        for (let i = 0; i < this.n; i++) {
          let v: DeltaValue = at(otherwise, i)
          for (let k = 0; k < whens.length; k++) {
            if (at(whens[k], i) === true) { v = at(thens[k], i); break }
          }
          out[i] = v
        }
        return arr(out)
      }
    }
  }

  private compare(e: BoundCompare): Vec {
    const l = this.vec(e.left)
    const r = this.vec(e.right)
    const t = e.left.type
    const test = compareTest(e.op, t)
    if (l.c && r.c) return cnst(test(l.v, r.v))
    const out = new Array<DeltaValue>(this.n)
    if (!l.c && r.c) {
      const a = l.a
      const b = r.v
      for (let i = 0; i < this.n; i++) out[i] = test(a[i] ?? null, b)
    } else {
      for (let i = 0; i < this.n; i++) out[i] = test(at(l, i), at(r, i))
    }
    return arr(out)
  }

  private like(e: BoundLike): Vec {
    const value = this.vec(e.value)
    const pattern = this.vec(e.pattern)
    const cache = new Map<string, RegExp>()
    const re = (p: string): RegExp => {
      let r = cache.get(p)
      if (!r) {
        r = likeRegExp(p, e.escape, e.caseInsensitive)
        cache.set(p, r)
      }
      return r
    }
    return this.map2(value, pattern, (v, p) => (v === null || p === null ? null : re(p as string).test(v as string) !== e.negated))
  }
}

function junction(vals: DeltaValue[], decided: boolean): DeltaValue {
  let sawNull = false
  for (const v of vals) {
    if (v === decided) return decided
    if (v === null) sawNull = true
  }
  return sawNull ? null : !decided
}

/** `(a, b) → TRUE | FALSE | NULL` for a comparison operator on values of type `t`. */
export function compareTest(op: BoundCompare['op'], t: DataType): (a: DeltaValue, b: DeltaValue) => DeltaValue {
  const cmp = comparatorFor(t)
  const simpleEq = typeof t === 'string' && t !== 'binary' && !isFloating(t) && t !== 'variant'
  switch (op) {
    case '=': return simpleEq ? (a, b) => (a === null || b === null ? null : a === b) : (a, b) => (a === null || b === null ? null : cmp(a, b) === 0)
    case '<>': return simpleEq ? (a, b) => (a === null || b === null ? null : a !== b) : (a, b) => (a === null || b === null ? null : cmp(a, b) !== 0)
    case '<': return (a, b) => (a === null || b === null ? null : cmp(a, b) < 0)
    case '<=': return (a, b) => (a === null || b === null ? null : cmp(a, b) <= 0)
    case '>': return (a, b) => (a === null || b === null ? null : cmp(a, b) > 0)
    case '>=': return (a, b) => (a === null || b === null ? null : cmp(a, b) >= 0)
    case '<=>': return (a, b) => (a === null || b === null ? a === b : valuesEqual(a, b, t))
  }
}
