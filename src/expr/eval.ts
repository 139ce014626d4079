// Evaluation of bound expressions over a columnar batch, with SQL three-valued logic: a predicate
// keeps a row only when it is TRUE (NULL and FALSE drop it); `evalExpression` computes values
// (UPDATE SET, MERGE assignments).
import { ExpressionError } from '../errors.js'
import type { DataType } from '../schema/types.js'
import { compareBytes, compareNumbers, compareStrings, compareValues, valuesEqual, type DeltaValue } from '../schema/values.js'
import type { BoundCompare, BoundExpr, BoundIn, BoundLike } from './bind.js'
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
  const t = new Ev(batch).truth(e)
  const out = new Uint8Array(n)
  if (t.c) return t.v === T ? out.fill(1) : out
  const a = t.a
  for (let i = 0; i < n; i++) out[i] = a[i] === T ? 1 : 0
  return out
}

// Truth values of boolean nodes, one byte per row: the hot path of filters avoids boxed arrays.
const F = 0
const T = 1
const N = 2
type Truth = { c: true; v: number } | { c: false; a: Uint8Array }
const truthOf = (v: DeltaValue): number => (v === null ? N : v ? T : F)
const valueOf = (t: number): DeltaValue => (t === N ? null : t === T)

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
      case 'and': case 'or': case 'not': case 'isNull': case 'compare': case 'in': case 'like': {
        const t = this.truth(e)
        if (t.c) return cnst(valueOf(t.v))
        const out = new Array<DeltaValue>(this.n)
        for (let k = 0; k < this.n; k++) out[k] = valueOf(t.a[k])
        return arr(out)
      }
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

  /** Three-valued result of a boolean node as bytes (F, T, N). */
  truth(e: BoundExpr): Truth {
    const n = this.n
    switch (e.kind) {
      case 'literal': return { c: true, v: truthOf(e.value) }
      case 'compare': return this.compare(e)
      case 'in': return this.inList(e)
      case 'like': return this.like(e)
      case 'not': {
        const x = this.truth(e.arg)
        if (x.c) return { c: true, v: x.v === N ? N : 1 - x.v }
        const out = new Uint8Array(n)
        const a = x.a
        for (let i = 0; i < n; i++) out[i] = a[i] === N ? N : 1 - a[i]
        return { c: false, a: out }
      }
      case 'isNull': {
        const x = this.vec(e.arg)
        const yes = e.negated ? F : T
        const no = e.negated ? T : F
        if (x.c) return { c: true, v: x.v === null ? yes : no }
        const out = new Uint8Array(n)
        const a = x.a
        for (let i = 0; i < n; i++) out[i] = (a[i] ?? null) === null ? yes : no
        return { c: false, a: out }
      }
      case 'and': case 'or': {
        const decided = e.kind === 'and' ? F : T
        let out: Uint8Array | undefined
        let constant = e.kind === 'and' ? T : F
        for (const arg of e.args) {
          const x = this.truth(arg)
          if (x.c) {
            if (x.v === decided) return { c: true, v: decided }
            if (x.v === N) {
              if (out) for (let i = 0; i < n; i++) { if (out[i] !== decided) out[i] = N }
              else constant = N
            }
            continue
          }
          if (!out) {
            out = new Uint8Array(x.a)
            if (constant === N) for (let i = 0; i < n; i++) { if (out[i] !== decided) out[i] = N }
            continue
          }
          const a = x.a
          for (let i = 0; i < n; i++) {
            const p = out[i]
            if (p === decided) continue
            const q = a[i]
            out[i] = q === decided ? decided : p === N || q === N ? N : p
          }
        }
        return out ? { c: false, a: out } : { c: true, v: constant }
      }
      default: {
        const x = this.vec(e)
        if (x.c) return { c: true, v: truthOf(x.v) }
        const out = new Uint8Array(n)
        const a = x.a
        for (let i = 0; i < n; i++) out[i] = truthOf(a[i] ?? null)
        return { c: false, a: out }
      }
    }
  }

  private compare(e: BoundCompare): Truth {
    const l = this.vec(e.left)
    const r = this.vec(e.right)
    const t = e.left.type
    const test = compareTest(e.op, t)
    if (l.c && r.c) return { c: true, v: truthOf(test(l.v, r.v)) }
    const n = this.n
    const out = new Uint8Array(n)
    if (!l.c && r.c) {
      const a = l.a
      const b = r.v
      if (b === null && e.op !== '<=>') return { c: true, v: N }
      // ordered types with JS operators, and equality of strings (`category = 'x'`): one loop, no comparator call per row
      if (b !== null && e.op !== '<=>' && (isPlainOrdered(t) || ((e.op === '=' || e.op === '<>') && identityEq(t)))) {
        compareColumnToConstant(e.op, a, b as number, out, n)
        return { c: false, a: out }
      }
      for (let i = 0; i < n; i++) out[i] = truthOf(test(a[i] ?? null, b))
    } else {
      for (let i = 0; i < n; i++) out[i] = truthOf(test(at(l, i), at(r, i)))
    }
    return { c: false, a: out }
  }

  private inList(e: BoundIn): Truth {
    const value = this.vec(e.value)
    const list = e.list.map((x) => this.vec(x))
    const t = e.value.type
    const cmp = comparatorFor(t)
    const hit = e.negated ? F : T
    const miss = e.negated ? T : F
    // constant lists of types compared by identity go through a Set
    const constSet = t !== 'binary' && !isFloating(t) && typeof t === 'string' && t !== 'variant' && list.every((x) => x.c)
      ? new Set(list.map((x) => (x as { v: DeltaValue }).v)) : undefined
    const missOrNull = constSet?.has(null) ? N : miss
    const test = (v: DeltaValue, i: number): number => {
      if (v === null) return N
      if (constSet) return constSet.has(v) ? hit : missOrNull
      let sawNull = false
      for (const x of list) {
        const w = at(x, i)
        if (w === null) sawNull = true
        else if (cmp(v, w) === 0) return hit
      }
      return sawNull ? N : miss
    }
    if (value.c && list.every((x) => x.c)) return { c: true, v: test(value.v, 0) }
    const out = new Uint8Array(this.n)
    if (!value.c && constSet) {
      const a = value.a
      for (let i = 0; i < this.n; i++) {
        const v = a[i] ?? null
        out[i] = v === null ? N : constSet.has(v) ? hit : missOrNull
      }
    } else {
      for (let i = 0; i < this.n; i++) out[i] = test(at(value, i), i)
    }
    return { c: false, a: out }
  }

  private like(e: BoundLike): Truth {
    const value = this.vec(e.value)
    const pattern = this.vec(e.pattern)
    const yes = e.negated ? F : T
    const no = e.negated ? T : F
    const cache = new Map<string, (s: string) => boolean>()
    const matcherOf = (p: string): ((s: string) => boolean) => {
      let m = cache.get(p)
      if (!m) {
        m = likeMatcher(p, e.escape, e.caseInsensitive)
        cache.set(p, m)
      }
      return m
    }
    const out = new Uint8Array(this.n)
    if (!value.c && pattern.c) {
      if (pattern.v === null) return { c: true, v: N }
      const m = matcherOf(pattern.v as string)
      const a = value.a as ArrayLike<string | null | undefined>
      for (let i = 0; i < this.n; i++) {
        const v = a[i]
        out[i] = v === null || v === undefined ? N : m(v) ? yes : no
      }
      return { c: false, a: out }
    }
    const one = (v: DeltaValue, p: DeltaValue): number => (v === null || p === null ? N : matcherOf(p as string)(v as string) ? yes : no)
    if (value.c && pattern.c) return { c: true, v: one(value.v, pattern.v) }
    for (let i = 0; i < this.n; i++) out[i] = one(at(value, i), at(pattern, i))
    return { c: false, a: out }
  }
}

/**
 * A LIKE test as a function: plain text, `prefix%`, `%suffix` and `%infix%` avoid the RegExp
 * (the common filter shapes); everything else is the anchored RegExp.
 */
export function likeMatcher(pattern: string, escape = '\\', caseInsensitive = false): (s: string) => boolean {
  if (!caseInsensitive && !pattern.includes(escape) && !pattern.includes('_')) {
    const m = /^(%*)([^%]*)(%*)$/.exec(pattern)
    if (m) {
      const [, lead, text, trail] = m
      if (!lead && !trail) return (s) => s === text
      if (!lead) return (s) => s.startsWith(text)
      if (!trail) return (s) => s.endsWith(text)
      return (s) => s.includes(text)
    }
  }
  const re = likeRegExp(pattern, escape, caseInsensitive)
  return (s) => re.test(s)
}

/** Types whose non-null values order correctly with JS `<` (numbers without NaN, bigints, booleans). */
function isPlainOrdered(t: DataType): boolean {
  return typeof t === 'string' && t !== 'string' && t !== 'binary' && t !== 'variant' && t !== 'float' && t !== 'double' && t !== 'void'
}

/** The hot loop of a filter: column op constant, one comparison per row (`=` and `<>` also for strings). */
function compareColumnToConstant(op: BoundCompare['op'], a: ArrayLike<DeltaValue>, b: number, out: Uint8Array, n: number): void {
  const col = a as ArrayLike<number | null | undefined>
  switch (op) {
    case '=': for (let i = 0; i < n; i++) { const v = col[i]; out[i] = v === null || v === undefined ? N : v === b ? T : F } break
    case '<>': for (let i = 0; i < n; i++) { const v = col[i]; out[i] = v === null || v === undefined ? N : v !== b ? T : F } break
    case '<': for (let i = 0; i < n; i++) { const v = col[i]; out[i] = v === null || v === undefined ? N : v < b ? T : F } break
    case '<=': for (let i = 0; i < n; i++) { const v = col[i]; out[i] = v === null || v === undefined ? N : v <= b ? T : F } break
    case '>': for (let i = 0; i < n; i++) { const v = col[i]; out[i] = v === null || v === undefined ? N : v > b ? T : F } break
    case '>=': for (let i = 0; i < n; i++) { const v = col[i]; out[i] = v === null || v === undefined ? N : v >= b ? T : F } break
  }
}

/** Types whose non-null values are equal exactly when `===` says so (not NaN-bearing floats, bytes, variants, decimals). */
function identityEq(t: DataType): boolean {
  return typeof t === 'string' && t !== 'binary' && !isFloating(t) && t !== 'variant'
}

/** `(a, b) → TRUE | FALSE | NULL` for a comparison operator on values of type `t`. */
export function compareTest(op: BoundCompare['op'], t: DataType): (a: DeltaValue, b: DeltaValue) => DeltaValue {
  const cmp = comparatorFor(t)
  const simpleEq = identityEq(t)
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
