// The fluent builder: `col('status').eq('open').and(col('amount').gt(100))`. Every node it returns is
// a plain Expr (same fields as the parser's output) that also carries the builder methods.
import { InvalidArgumentError } from '../errors.js'
import type { DataType } from '../schema/types.js'
import type { DeltaValue } from '../schema/values.js'
import { microsFromDate } from '../schema/temporal.js'
import { keyPath } from '../schema/column-path.js'
import { isExpr, type ArithOp, type CompareOp, type Expr, type LiteralExpr } from './ast.js'

/** An expression or a plain JS value taken as a literal (number, bigint, string, boolean, Date, Uint8Array, null). */
export type Operand = Expr | DeltaValue | Date

/** The builder's methods, carried by every node `col`, `lit`, `and`, `or`, `not` and `fn` return. */
export interface ExprMethods {
  eq(o: Operand): BuiltExpr
  ne(o: Operand): BuiltExpr
  lt(o: Operand): BuiltExpr
  le(o: Operand): BuiltExpr
  gt(o: Operand): BuiltExpr
  ge(o: Operand): BuiltExpr
  /** Null-safe equality `<=>`: NULL <=> NULL is true. */
  eqNullSafe(o: Operand): BuiltExpr
  in(...values: Operand[]): BuiltExpr
  notIn(...values: Operand[]): BuiltExpr
  between(low: Operand, high: Operand): BuiltExpr
  notBetween(low: Operand, high: Operand): BuiltExpr
  isNull(): BuiltExpr
  isNotNull(): BuiltExpr
  like(pattern: string): BuiltExpr
  notLike(pattern: string): BuiltExpr
  /** LIKE on an escaped prefix: `col('s').startsWith('a_b')` matches "a_b…" only. */
  startsWith(prefix: string): BuiltExpr
  and(...others: Operand[]): BuiltExpr
  or(...others: Operand[]): BuiltExpr
  not(): BuiltExpr
  plus(o: Operand): BuiltExpr
  minus(o: Operand): BuiltExpr
  times(o: Operand): BuiltExpr
  div(o: Operand): BuiltExpr
  mod(o: Operand): BuiltExpr
  cast(to: DataType): BuiltExpr
}

/**
 * A plain `Expr` that also has the builder methods, so calls chain.
 * @example
 * const e: BuiltExpr = col('amount').gt(100).and(col('uf').in('SP', 'RJ'))
 */
export type BuiltExpr = Expr & ExprMethods

const methods: ExprMethods & ThisType<Expr> = {
  eq(o) { return compare('=', this, o) },
  ne(o) { return compare('<>', this, o) },
  lt(o) { return compare('<', this, o) },
  le(o) { return compare('<=', this, o) },
  gt(o) { return compare('>', this, o) },
  ge(o) { return compare('>=', this, o) },
  eqNullSafe(o) { return compare('<=>', this, o) },
  in(...values) { return wrap({ kind: 'in', value: this, list: values.map(operand), negated: false }) },
  notIn(...values) { return wrap({ kind: 'in', value: this, list: values.map(operand), negated: true }) },
  between(low, high) { return wrap({ kind: 'between', value: this, low: operand(low), high: operand(high), negated: false }) },
  notBetween(low, high) { return wrap({ kind: 'between', value: this, low: operand(low), high: operand(high), negated: true }) },
  isNull() { return wrap({ kind: 'isNull', arg: this, negated: false }) },
  isNotNull() { return wrap({ kind: 'isNull', arg: this, negated: true }) },
  like(pattern) { return wrap({ kind: 'like', value: this, pattern: lit(pattern), negated: false }) },
  notLike(pattern) { return wrap({ kind: 'like', value: this, pattern: lit(pattern), negated: true }) },
  startsWith(prefix) { return wrap({ kind: 'like', value: this, pattern: lit(`${prefix.replace(/[\\%_]/g, '\\$&')}%`), negated: false }) },
  and(...others) { return and(this, ...others) },
  or(...others) { return or(this, ...others) },
  not() { return not(this) },
  plus(o) { return arith('+', this, o) },
  minus(o) { return arith('-', this, o) },
  times(o) { return arith('*', this, o) },
  div(o) { return arith('/', this, o) },
  mod(o) { return arith('%', this, o) },
  cast(to) { return wrap({ kind: 'cast', arg: this, to }) },
}

/** Attach the builder methods to a node (non-enumerable, so the node still compares and prints as data). */
export function wrap<T extends Expr>(node: T): T & ExprMethods {
  if ('eq' in node) return node as T & ExprMethods
  const out = Object.create(methodsProto) as T & ExprMethods
  return Object.assign(out, node)
}
const methodsProto: object = Object.create(Object.prototype, Object.fromEntries(
  Object.entries(methods).map(([k, fn]) => [k, { value: fn, enumerable: false, writable: false }]),
))

function compare(op: CompareOp, left: Expr, right: Operand): BuiltExpr {
  return wrap({ kind: 'compare', op, left, right: operand(right) })
}
function arith(op: ArithOp, left: Expr, right: Operand): BuiltExpr {
  return wrap({ kind: 'arith', op, left, right: operand(right) })
}

/** An operand as an expression: expressions pass through, anything else becomes a literal. */
export function operand(o: Operand): Expr {
  return isExpr(o) ? o : lit(o)
}

/**
 * A column reference; `col('a.b')` is the nested field b of struct a; a name holding dots is backticked (`col('\`id.num\`')`) or passed in an array.
 * @example
 * await t.toRows({ filter: col('amount').gt(100).and(col('status').eq('open')) })
 */
export function col(name: string | string[]): BuiltExpr {
  const path = Array.isArray(name) ? [...name] : keyPath(name)
  if (path.length === 0 || path.some((p) => p === '')) throw new InvalidArgumentError(`invalid column name ${JSON.stringify(name)}`)
  return wrap({ kind: 'column', path })
}

/**
 * A literal. Without `type`: boolean → boolean, integral number → integer (long beyond 32 bits),
 * other number → double, bigint → long, string → string, Date → timestamp, Uint8Array → binary,
 * null → untyped NULL. With `type`, `value` must already be the Delta value of that type.
 * @example
 * await t.update('id = 1', { stock: lit(0n) })
 */
export function lit(value: DeltaValue | Date, type?: DataType): BuiltExpr {
  if (type !== undefined) return wrap<LiteralExpr>({ kind: 'literal', value: value instanceof Date ? microsFromDate(value) : value, type })
  if (value === null) return wrap<LiteralExpr>({ kind: 'literal', value: null, type: null })
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new InvalidArgumentError('lit(): Invalid Date')
    return wrap<LiteralExpr>({ kind: 'literal', value: microsFromDate(value), type: 'timestamp' })
  }
  switch (typeof value) {
    case 'boolean': return wrap<LiteralExpr>({ kind: 'literal', value, type: 'boolean' })
    case 'string': return wrap<LiteralExpr>({ kind: 'literal', value, type: 'string' })
    case 'bigint': return wrap<LiteralExpr>({ kind: 'literal', value, type: 'long' })
    case 'number':
      if (Number.isInteger(value) && value >= -2147483648 && value <= 2147483647) return wrap<LiteralExpr>({ kind: 'literal', value, type: 'integer' })
      if (Number.isSafeInteger(value)) return wrap<LiteralExpr>({ kind: 'literal', value: BigInt(value), type: 'long' })
      return wrap<LiteralExpr>({ kind: 'literal', value, type: 'double' })
  }
  if (value instanceof Uint8Array) return wrap<LiteralExpr>({ kind: 'literal', value, type: 'binary' })
  throw new InvalidArgumentError('lit(): pass a type for arrays, maps and structs')
}

function flatten(kind: 'and' | 'or', items: Operand[]): Expr[] {
  return items.map(operand).flatMap((e) => (e.kind === kind ? e.args : [e]))
}
/**
 * All of the operands (SQL AND).
 * @example
 * t.toRows({ filter: and(col('id').gt(10), col('country').eq('PT')) })
 */
export function and(...items: Operand[]): BuiltExpr {
  return wrap({ kind: 'and', args: flatten('and', items) })
}
/**
 * Any of the operands (SQL OR).
 * @example
 * await t.delete(or(col('status').eq('void'), col('amount').lt(0)))
 */
export function or(...items: Operand[]): BuiltExpr {
  return wrap({ kind: 'or', args: flatten('or', items) })
}
/**
 * The negation of the operand (SQL NOT).
 * @example
 * await t.toRows({ filter: not(col('deleted').eq(true)) })
 */
export function not(item: Operand): BuiltExpr {
  return wrap({ kind: 'not', arg: operand(item) })
}
/**
 * A function call, e.g. `fn('coalesce', col('a'), 0)`.
 * @example
 * await t.toRows({ filter: fn('coalesce', col('discount'), 0).gt(5) })
 */
export function fn(name: string, ...args: Operand[]): BuiltExpr {
  return wrap({ kind: 'call', name: name.toLowerCase(), args: args.map(operand) })
}

/** One delta-rs style partition filter: `[column, op, value]`, values as text (typed by the binder). */
export type FilterTuple = [string, string, (string | number | boolean | null | (string | number | boolean | null)[])?]

/**
 * The conjunction of delta-rs style filters (`[["year", "=", "2021"], ["month", "not in", ["1", "2"]]]`):
 * ops `=`, `!=`, `<>`, `<`, `<=`, `>`, `>=`, `in`, `not in`, `is null`, `is not null`.
 * @example
 * await t.toRows({ filter: filterFromTuples([['year', '=', '2021'], ['month', 'in', ['1', '2']]]) })
 */
export function filterFromTuples(filters: FilterTuple[]): BuiltExpr {
  const parts = filters.map(([column, rawOp, value]) => {
    const c = col(column)
    const op = rawOp.trim().toLowerCase().replace(/\s+/g, ' ')
    const list = (): Operand[] => (Array.isArray(value) ? value : [value ?? null])
    switch (op) {
      case '=': case '==': return c.eq(value ?? null)
      case '!=': case '<>': return c.ne(value ?? null)
      case '<': return c.lt(value ?? null)
      case '<=': return c.le(value ?? null)
      case '>': return c.gt(value ?? null)
      case '>=': return c.ge(value ?? null)
      case 'in': return c.in(...list())
      case 'not in': return c.notIn(...list())
      case 'is null': return c.isNull()
      case 'is not null': return c.isNotNull()
      default: throw new InvalidArgumentError(`unknown filter operator ${JSON.stringify(rawOp)} for column ${column}`)
    }
  })
  return and(...parts)
}
