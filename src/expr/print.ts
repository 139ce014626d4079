// SQL text of an expression, in the dialect parseExpression reads: parse(print(e)) gives e back.
// Used for messages and for the predicate strings recorded in commitInfo (DELETE, replaceWhere…).
import { decimalParams, typeToString, type DataType } from '../schema/types.js'
import type { DeltaValue } from '../schema/values.js'
import { digitCount, formatDecimal } from '../schema/decimal.js'
import { formatDate, formatTimestamp } from '../schema/temporal.js'
import type { Expr, LiteralExpr } from './ast.js'
import type { BoundExpr } from './bind.js'
import { RESERVED } from './parser.js'

// Binding strength, loosest first: OR < AND < NOT < predicate < additive < multiplicative < unary < primary.
const PREC = { or: 1, and: 2, not: 3, pred: 4, add: 5, mul: 6, unary: 7, primary: 8 }

function level(e: Expr): number {
  switch (e.kind) {
    case 'or': return e.args.length === 0 ? PREC.primary : PREC.or
    case 'and': return e.args.length === 0 ? PREC.primary : PREC.and
    case 'not': return PREC.not
    case 'compare': case 'in': case 'between': case 'isNull': case 'like': return PREC.pred
    case 'arith': return e.op === '+' || e.op === '-' ? PREC.add : PREC.mul
    case 'negate': return PREC.unary
    case 'literal':
      // a folded negative number prints with its sign, which binds like unary minus
      return (typeof e.value === 'number' && (e.value < 0 || Object.is(e.value, -0))) || (typeof e.value === 'bigint' && e.value < 0n) ? PREC.unary : PREC.primary
    default: return PREC.primary
  }
}

/** Print with parentheses where the child binds looser than `min`. */
function sub(e: Expr, min: number): string {
  const s = exprToSql(e)
  return level(e) < min ? `(${s})` : s
}

export function quoteIdent(name: string): string {
  // INTERVAL is only a keyword after + or -, but quoting it keeps `a + \`interval\`` unambiguous
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !RESERVED.has(name.toUpperCase()) && name.toUpperCase() !== 'INTERVAL' ? name : `\`${name.replace(/`/g, '``')}\``
}

export function quoteString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "''").replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t').replace(/\0/g, '\\0')}'`
}

export function typeToSql(t: DataType): string {
  switch (t) {
    case 'integer': return 'INT'
    case 'long': return 'BIGINT'
    case 'short': return 'SMALLINT'
    case 'byte': return 'TINYINT'
    default: return typeToString(t).toUpperCase()
  }
}

export function literalToSql(value: DeltaValue, type: DataType | null): string {
  if (value === null) return type === null || type === 'void' ? 'NULL' : `CAST(NULL AS ${typeToSql(type)})`
  switch (type) {
    case 'boolean': return value ? 'TRUE' : 'FALSE'
    case 'string': return quoteString(value as string)
    case 'integer': return String(value)
    case 'long': return `${value}L`
    case 'short': return `${value}S`
    case 'byte': return `${value}Y`
    case 'double': case 'float': {
      const n = value as number
      if (!Number.isFinite(n)) return `CAST('${Number.isNaN(n) ? 'NaN' : n > 0 ? 'Infinity' : '-Infinity'}' AS ${type.toUpperCase()})`
      return `${Object.is(n, -0) ? '-0' : String(n)}${type === 'double' ? 'D' : 'F'}`
    }
    case 'date': return `DATE '${formatDate(value as number)}'`
    case 'timestamp': return `TIMESTAMP '${formatTimestamp(value as bigint, 'iso')}'`
    case 'timestamp_ntz': return `TIMESTAMP_NTZ '${formatTimestamp(value as bigint, 'spark')}'`
    case 'binary': return `X'${[...(value as Uint8Array)].map((b) => b.toString(16).padStart(2, '0')).join('').toUpperCase()}'`
  }
  const dec = type === null ? undefined : decimalParams(type)
  if (dec) {
    const text = formatDecimal(value as bigint, dec.scale)
    // The parser types `1.50` as decimal(3,2); spell out other precisions.
    const natural = Math.max(digitCount(value as bigint), dec.scale, 1)
    const plain = dec.scale === 0 ? `${text}BD` : text
    return natural === dec.precision ? plain : `CAST(${plain} AS ${typeToSql(type!)})`
  }
  return `CAST(${quoteString(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) ?? 'null')} AS ${type === null ? 'STRING' : typeToSql(type)})`
}

/**
 * SQL text of an expression.
 * @example
 * exprToSql(col('amount').gt(100)) // SQL text, e.g. for logs or another engine
 */
export function exprToSql(e: Expr): string {
  switch (e.kind) {
    case 'column': return e.path.map(quoteIdent).join('.')
    case 'literal': return literalToSql(e.value, (e as LiteralExpr).type)
    case 'compare': return `${sub(e.left, PREC.add)} ${e.op} ${sub(e.right, PREC.add)}`
    case 'and': case 'or': {
      if (e.args.length === 0) return e.kind === 'and' ? 'TRUE' : 'FALSE'
      // a nested junction of the same kind needs parentheses to keep the tree shape
      return e.args.map((a) => (a.kind === e.kind ? `(${exprToSql(a)})` : sub(a, e.kind === 'and' ? PREC.not : PREC.and))).join(e.kind === 'and' ? ' AND ' : ' OR ')
    }
    case 'not': return `NOT ${sub(e.arg, PREC.not)}`
    case 'isNull': return `${sub(e.arg, PREC.add)} IS ${e.negated ? 'NOT ' : ''}NULL`
    case 'in': return `${sub(e.value, PREC.add)} ${e.negated ? 'NOT ' : ''}IN (${e.list.map(exprToSql).join(', ')})`
    case 'between': return `${sub(e.value, PREC.add)} ${e.negated ? 'NOT ' : ''}BETWEEN ${sub(e.low, PREC.add)} AND ${sub(e.high, PREC.add)}`
    case 'like': {
      const esc = e.escape !== undefined ? ` ESCAPE ${quoteString(e.escape)}` : ''
      return `${sub(e.value, PREC.add)} ${e.negated ? 'NOT ' : ''}${e.caseInsensitive ? 'ILIKE' : 'LIKE'} ${sub(e.pattern, PREC.add)}${esc}`
    }
    case 'arith': {
      const p = level(e)
      // left-associative: the right child needs parentheses at equal precedence
      return `${sub(e.left, p)} ${e.op} ${sub(e.right, p + 1)}`
    }
    // `-5` would read back as a negative literal, so a negated literal keeps its parentheses
    case 'negate': return e.arg.kind === 'literal' || e.arg.kind === 'negate' ? `-(${exprToSql(e.arg)})` : `-${sub(e.arg, PREC.primary)}`
    case 'cast': return `CAST(${exprToSql(e.arg)} AS ${typeToSql(e.to)})`
    case 'call': return `${e.name}(${e.args.map(exprToSql).join(', ')})`
    case 'case': {
      const parts = ['CASE']
      if (e.operand) parts.push(exprToSql(e.operand))
      for (const b of e.branches) parts.push(`WHEN ${exprToSql(b.when)} THEN ${exprToSql(b.then)}`)
      if (e.else) parts.push(`ELSE ${exprToSql(e.else)}`)
      parts.push('END')
      return parts.join(' ')
    }
  }
}

/** An equivalent unbound expression (implicit casts spelled out), e.g. to print or to re-bind elsewhere. */
export function unbind(b: BoundExpr): Expr {
  switch (b.kind) {
    case 'column': return { kind: 'column', path: b.side ? [b.side, ...b.path] : [...b.path] }
    case 'literal': return { kind: 'literal', value: b.value, type: b.type === 'void' ? null : b.type }
    case 'compare': return { kind: 'compare', op: b.op, left: unbind(b.left), right: unbind(b.right) }
    case 'and': case 'or': return { kind: b.kind, args: b.args.map(unbind) }
    case 'not': return { kind: 'not', arg: unbind(b.arg) }
    case 'isNull': return { kind: 'isNull', arg: unbind(b.arg), negated: b.negated }
    case 'in': return { kind: 'in', value: unbind(b.value), list: b.list.map(unbind), negated: b.negated }
    case 'like': {
      const e: Expr = { kind: 'like', value: unbind(b.value), pattern: unbind(b.pattern), negated: b.negated }
      if (b.escape !== '\\') e.escape = b.escape
      if (b.caseInsensitive) e.caseInsensitive = true
      return e
    }
    case 'arith': return { kind: 'arith', op: b.op, left: unbind(b.left), right: unbind(b.right) }
    case 'negate': return { kind: 'negate', arg: unbind(b.arg) }
    case 'cast': return { kind: 'cast', arg: unbind(b.arg), to: b.type }
    case 'call': return { kind: 'call', name: b.name, args: b.args.map(unbind) }
    case 'case': return { kind: 'case', branches: b.branches.map((x) => ({ when: unbind(x.when), then: unbind(x.then) })), else: unbind(b.else) }
  }
}

/** SQL text of a bound expression (column keys as written, implicit casts explicit). */
export function boundToSql(b: BoundExpr): string {
  return exprToSql(unbind(b))
}
