// The SQL-subset parser behind string filters and conditions (`"status = 'open' AND amount > 100"`).
// Spark SQL's expression grammar restricted to what lagomago evaluates; errors point at the position.
//
//   expr      := or
//   or        := and (OR and)*                and := not (AND not)*          not := NOT not | predicate
//   predicate := additive [ (= | == | <> | != | < | <= | > | >= | <=>) additive
//                         | IS [NOT] (NULL | TRUE | FALSE | DISTINCT FROM additive)
//                         | [NOT] IN (expr, …) | [NOT] BETWEEN additive AND additive
//                         | [NOT] (LIKE | ILIKE) additive [ESCAPE 'c'] ]
//   additive  := mult ((+ | - | ||) mult | (+ | -) INTERVAL n unit)*     mult := unary ((* | / | %) unary)*
//   unary     := - unary | + unary | primary
//   primary   := number [L|S|Y|D|F|BD] | 'string' | "string" | TRUE | FALSE | NULL | X'hex'
//              | DATE 'yyyy-MM-dd' | TIMESTAMP '…' | TIMESTAMP_NTZ '…' | CAST(expr AS type)
//              | CASE [expr] WHEN … THEN … [ELSE …] END | name(expr, …) | column | (expr)
//   column    := ident (. ident)*  with `back-quoted` identifiers for any name
// Timestamps without a zone are UTC; 1.5 is decimal(2,1), 1e3 a double, 5 an int (as in Spark).
import { ExpressionError } from '../errors.js'
import type { DataType } from '../schema/types.js'
import { digitCount, parseDecimalParts } from '../schema/decimal.js'
import { floorDiv, parseDate, parseTimestamp } from '../schema/temporal.js'
import type { ArithOp, CompareOp, Expr, LiteralExpr } from './ast.js'
import { castValue } from './cast.js'

type TokKind = 'ident' | 'qident' | 'number' | 'string' | 'op' | 'eof'
interface Token { kind: TokKind; text: string; value?: string; pos: number }

const OPS = ['<=>', '<>', '!=', '<=', '>=', '==', '||', '=', '<', '>', '+', '-', '*', '/', '%', '(', ')', ',', '.']

export const RESERVED = new Set([
  'AND', 'OR', 'NOT', 'IN', 'IS', 'NULL', 'TRUE', 'FALSE', 'BETWEEN', 'LIKE', 'ILIKE', 'CASE', 'WHEN',
  'THEN', 'ELSE', 'END', 'CAST', 'AS', 'ESCAPE', 'DISTINCT', 'FROM',
])

function fail(sql: string, pos: number, message: string): ExpressionError {
  const near = pos >= sql.length ? 'end of input' : JSON.stringify(sql.slice(pos, pos + 20))
  return new ExpressionError(`${message} at position ${pos + 1} (near ${near}) in expression: ${sql}`)
}

function tokenize(sql: string): Token[] {
  const out: Token[] = []
  let i = 0
  while (i < sql.length) {
    const c = sql[i]
    if (/\s/.test(c)) { i++; continue }
    const start = i
    if (/[A-Za-z_]/.test(c)) {
      while (i < sql.length && /[A-Za-z0-9_$]/.test(sql[i])) i++
      out.push({ kind: 'ident', text: sql.slice(start, i), pos: start })
      continue
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      const m = /^(\d*\.?\d*(?:[eE][+-]?\d+)?)(bd|BD|bD|Bd|[lLsSyYdDfF])?(?![A-Za-z0-9_])/.exec(sql.slice(i))
      if (!m) throw fail(sql, i, 'malformed number')
      i += m[0].length
      out.push({ kind: 'number', text: m[0], value: m[1], pos: start })
      continue
    }
    if (c === "'" || c === '"') {
      let v = ''
      i++
      for (;;) {
        if (i >= sql.length) throw fail(sql, start, 'unterminated string literal')
        const d = sql[i]
        if (d === '\\' && i + 1 < sql.length) {
          const e = sql[i + 1]
          v += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e === '0' ? '\0' : e
          i += 2
        } else if (d === c) {
          if (sql[i + 1] === c) { v += c; i += 2 } else { i++; break }
        } else { v += d; i++ }
      }
      out.push({ kind: 'string', text: sql.slice(start, i), value: v, pos: start })
      continue
    }
    if (c === '`') {
      let v = ''
      i++
      for (;;) {
        if (i >= sql.length) throw fail(sql, start, 'unterminated quoted identifier')
        if (sql[i] === '`') {
          if (sql[i + 1] === '`') { v += '`'; i += 2 } else { i++; break }
        } else v += sql[i++]
      }
      out.push({ kind: 'qident', text: sql.slice(start, i), value: v, pos: start })
      continue
    }
    const op = OPS.find((o) => sql.startsWith(o, i))
    if (!op) throw fail(sql, i, `unexpected character ${JSON.stringify(c)}`)
    i += op.length
    out.push({ kind: 'op', text: op, pos: start })
  }
  out.push({ kind: 'eof', text: '', pos: sql.length })
  return out
}

/**
 * Parse a SQL-subset expression into an Expr. Throws ExpressionError with the position on bad input.
 * @example
 * const e = parseExpression("status = 'open' AND amount > 100")
 * await t.toRows({ filter: e })
 */
export function parseExpression(sql: string): Expr {
  if (typeof sql !== 'string') throw new ExpressionError(`expression must be a string, got ${typeof sql}`)
  const p = new Parser(sql)
  if (p.peek().kind === 'eof') throw fail(sql, 0, 'empty expression')
  const e = p.expr()
  const t = p.peek()
  if (t.kind !== 'eof') throw fail(sql, t.pos, `unexpected ${JSON.stringify(t.text)}`)
  return e
}

/** Parse a type name as SQL writes it (`int`, `bigint`, `decimal(10,2)`, `timestamp_ntz`…). */
export function parseTypeName(text: string): DataType {
  const p = new Parser(text)
  const t = p.typeName()
  if (p.peek().kind !== 'eof') throw fail(text, p.peek().pos, 'unexpected text after type')
  return t
}

const INTERVAL_UNITS: Record<string, string> = {
  MICROSECOND: 'MICROSECOND', MICROSECONDS: 'MICROSECOND', MILLISECOND: 'MILLISECOND', MILLISECONDS: 'MILLISECOND',
  SECOND: 'SECOND', SECONDS: 'SECOND', MINUTE: 'MINUTE', MINUTES: 'MINUTE', HOUR: 'HOUR', HOURS: 'HOUR',
  DAY: 'DAY', DAYS: 'DAY', WEEK: 'WEEK', WEEKS: 'WEEK', MONTH: 'MONTH', MONTHS: 'MONTH', YEAR: 'YEAR', YEARS: 'YEAR',
}

const TYPE_NAMES: Record<string, DataType> = {
  BOOLEAN: 'boolean', BOOL: 'boolean', TINYINT: 'byte', BYTE: 'byte', SMALLINT: 'short', SHORT: 'short',
  INT: 'integer', INTEGER: 'integer', BIGINT: 'long', LONG: 'long', FLOAT: 'float', REAL: 'float',
  DOUBLE: 'double', STRING: 'string', VARCHAR: 'string', CHAR: 'string', TEXT: 'string', BINARY: 'binary',
  DATE: 'date', TIMESTAMP: 'timestamp', TIMESTAMP_LTZ: 'timestamp', TIMESTAMP_NTZ: 'timestamp_ntz',
}

class Parser {
  private readonly toks: Token[]
  private i = 0
  constructor(private readonly sql: string) {
    this.toks = tokenize(sql)
  }

  peek(k = 0): Token { return this.toks[Math.min(this.i + k, this.toks.length - 1)] }
  private next(): Token { return this.toks[this.i++] }
  private isKw(word: string, k = 0): boolean {
    const t = this.peek(k)
    return t.kind === 'ident' && t.text.toUpperCase() === word
  }
  private acceptKw(word: string): boolean {
    if (!this.isKw(word)) return false
    this.i++
    return true
  }
  private expectKw(word: string): void {
    if (!this.acceptKw(word)) throw this.err(`expected ${word}`)
  }
  private isOp(op: string): boolean {
    const t = this.peek()
    return t.kind === 'op' && t.text === op
  }
  private acceptOp(op: string): boolean {
    if (!this.isOp(op)) return false
    this.i++
    return true
  }
  private expectOp(op: string): void {
    if (!this.acceptOp(op)) throw this.err(`expected ${JSON.stringify(op)}`)
  }
  private err(message: string, tok = this.peek()): ExpressionError {
    return fail(this.sql, tok.pos, tok.kind === 'eof' ? `${message}, found end of input` : `${message}, found ${JSON.stringify(tok.text)}`)
  }

  expr(): Expr { return this.or() }

  private or(): Expr {
    const args = [this.and()]
    while (this.acceptKw('OR')) args.push(this.and())
    return args.length === 1 ? args[0] : { kind: 'or', args }
  }

  private and(): Expr {
    const args = [this.not()]
    while (this.acceptKw('AND')) args.push(this.not())
    return args.length === 1 ? args[0] : { kind: 'and', args }
  }

  private not(): Expr {
    if (this.isKw('NOT')) {
      this.i++
      return { kind: 'not', arg: this.not() }
    }
    return this.predicate()
  }

  private predicate(): Expr {
    const left = this.additive()
    const t = this.peek()
    if (t.kind === 'op' && ['=', '==', '<>', '!=', '<', '<=', '>', '>=', '<=>'].includes(t.text)) {
      this.i++
      const op = (t.text === '==' ? '=' : t.text === '!=' ? '<>' : t.text) as CompareOp
      return { kind: 'compare', op, left, right: this.additive() }
    }
    if (this.acceptKw('IS')) {
      const negated = this.acceptKw('NOT')
      if (this.acceptKw('NULL')) return { kind: 'isNull', arg: left, negated }
      if (this.acceptKw('DISTINCT')) {
        this.expectKw('FROM')
        const cmp: Expr = { kind: 'compare', op: '<=>', left, right: this.additive() }
        return negated ? cmp : { kind: 'not', arg: cmp }
      }
      if (this.isKw('TRUE') || this.isKw('FALSE')) {
        const v = this.next().text.toUpperCase() === 'TRUE'
        const cmp: Expr = { kind: 'compare', op: '<=>', left, right: { kind: 'literal', value: v, type: 'boolean' } }
        return negated ? { kind: 'not', arg: cmp } : cmp
      }
      throw this.err('expected NULL, TRUE, FALSE or DISTINCT FROM after IS')
    }
    const negated = this.isKw('NOT') && (this.isKw('IN', 1) || this.isKw('BETWEEN', 1) || this.isKw('LIKE', 1) || this.isKw('ILIKE', 1))
    if (negated) this.i++
    if (this.acceptKw('IN')) {
      this.expectOp('(')
      const list: Expr[] = []
      if (!this.isOp(')')) {
        do list.push(this.expr())
        while (this.acceptOp(','))
      }
      this.expectOp(')')
      return { kind: 'in', value: left, list, negated }
    }
    if (this.acceptKw('BETWEEN')) {
      const low = this.additive()
      this.expectKw('AND')
      const high = this.additive()
      return { kind: 'between', value: left, low, high, negated }
    }
    if (this.isKw('LIKE') || this.isKw('ILIKE')) {
      const caseInsensitive = this.next().text.toUpperCase() === 'ILIKE'
      const pattern = this.additive()
      const e: Expr = { kind: 'like', value: left, pattern, negated }
      if (caseInsensitive) e.caseInsensitive = true
      if (this.acceptKw('ESCAPE')) {
        const esc = this.next()
        if (esc.kind !== 'string' || [...(esc.value ?? '')].length !== 1) throw this.err('ESCAPE needs a one-character string', esc)
        e.escape = esc.value
      }
      return e
    }
    if (negated) throw this.err('expected IN, BETWEEN or LIKE after NOT')
    return left
  }

  private additive(): Expr {
    let left = this.multiplicative()
    for (;;) {
      const t = this.peek()
      if (t.kind !== 'op' || !['+', '-', '||'].includes(t.text)) return left
      this.i++
      if (t.text !== '||' && this.isKw('INTERVAL')) {
        // `ts ± INTERVAL n unit` → timestampadd('unit', ±n, ts)
        const { unit, amount } = this.interval(t.text === '-')
        left = { kind: 'call', name: 'timestampadd', args: [{ kind: 'literal', value: unit, type: 'string' }, amount, left] }
        continue
      }
      const right = this.multiplicative()
      left = t.text === '||' ? { kind: 'call', name: 'concat', args: [left, right] } : { kind: 'arith', op: t.text as ArithOp, left, right }
    }
  }

  /** `INTERVAL 7 DAYS`, `INTERVAL '7' DAY`, `INTERVAL -1 HOUR` (one unit; the sign folds into the amount). */
  private interval(negate: boolean): { unit: string; amount: Expr } {
    const start = this.next()
    let t = this.next()
    let sign = negate ? -1n : 1n
    if (t.kind === 'op' && t.text === '-') { sign = -sign; t = this.next() }
    const text = t.kind === 'string' ? t.value!.trim() : t.kind === 'number' ? t.text : undefined
    if (text === undefined || !/^[+-]?\d+$/.test(text)) throw this.err('INTERVAL needs a whole number', t)
    const u = this.next()
    const unit = u.kind === 'ident' ? INTERVAL_UNITS[u.text.toUpperCase()] : undefined
    if (!unit) throw fail(this.sql, u.pos, `unknown INTERVAL unit ${JSON.stringify(u.text)} (after INTERVAL at position ${start.pos + 1})`)
    const n = BigInt(text) * sign
    return { unit, amount: n >= -2147483648n && n <= 2147483647n ? { kind: 'literal', value: Number(n), type: 'integer' } : { kind: 'literal', value: n, type: 'long' } }
  }

  private multiplicative(): Expr {
    let left = this.unary()
    for (;;) {
      const t = this.peek()
      if (t.kind !== 'op' || !['*', '/', '%'].includes(t.text)) return left
      this.i++
      left = { kind: 'arith', op: t.text as ArithOp, left, right: this.unary() }
    }
  }

  private unary(): Expr {
    if (this.acceptOp('-')) {
      // `-5` is a negative literal (so `-2147483648` is an int); `-(5)` and `-x` negate
      if (this.peek().kind === 'number') return numberLiteral(this.sql, this.next(), true)
      return { kind: 'negate', arg: this.unary() }
    }
    if (this.acceptOp('+')) return this.unary()
    return this.primary()
  }

  private primary(): Expr {
    const t = this.peek()
    switch (t.kind) {
      case 'number': this.i++; return numberLiteral(this.sql, t)
      case 'string': this.i++; return { kind: 'literal', value: t.value!, type: 'string' }
      case 'op':
        if (t.text === '(') {
          this.i++
          const e = this.expr()
          this.expectOp(')')
          return e
        }
        throw this.err('expected an expression')
      case 'qident': return this.columnRef()
      case 'eof': throw this.err('expected an expression')
      case 'ident': break
    }
    const word = t.text.toUpperCase()
    const following = this.peek(1)
    if (word === 'NULL') { this.i++; return { kind: 'literal', value: null, type: null } }
    if (word === 'TRUE' || word === 'FALSE') { this.i++; return { kind: 'literal', value: word === 'TRUE', type: 'boolean' } }
    if ((word === 'DATE' || word === 'TIMESTAMP' || word === 'TIMESTAMP_NTZ' || word === 'TIMESTAMP_LTZ') && following.kind === 'string') {
      this.i += 2
      return this.temporalLiteral(word, following)
    }
    if ((word === 'X') && following.kind === 'string' && following.pos === t.pos + 1) {
      this.i += 2
      const hex = following.value!
      if (!/^([0-9a-fA-F]{2})*$/.test(hex)) throw fail(this.sql, following.pos, 'binary literal needs an even number of hex digits')
      return { kind: 'literal', value: Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16)), type: 'binary' }
    }
    if (word === 'CASE') { this.i++; return this.caseExpr() }
    if (word === 'CAST' && following.kind === 'op' && following.text === '(') {
      this.i += 2
      const arg = this.expr()
      this.expectKw('AS')
      const to = this.typeName()
      this.expectOp(')')
      if (arg.kind === 'literal') {
        // fold CAST(<literal> AS type) so typed NULLs, NaN and DECIMAL(p,s) constants stay literals
        try {
          return { kind: 'literal', value: castValue(arg.value, arg.type ?? 'void', to), type: to }
        } catch (e) {
          throw fail(this.sql, t.pos, (e as Error).message)
        }
      }
      return { kind: 'cast', arg, to }
    }
    if (following.kind === 'op' && following.text === '(' && !RESERVED.has(word)) {
      this.i += 2
      const args: Expr[] = []
      if (!this.isOp(')')) {
        do args.push(this.expr())
        while (this.acceptOp(','))
      }
      this.expectOp(')')
      return { kind: 'call', name: t.text.toLowerCase(), args }
    }
    if (RESERVED.has(word)) throw this.err('expected an expression')
    return this.columnRef()
  }

  private columnRef(): Expr {
    const path: string[] = []
    for (;;) {
      const t = this.next()
      if (t.kind === 'qident') path.push(t.value!)
      else if (t.kind === 'ident' && (path.length > 0 || !RESERVED.has(t.text.toUpperCase()))) path.push(t.text)
      else throw this.err('expected a column name', t)
      if (!this.acceptOp('.')) return { kind: 'column', path }
    }
  }

  private temporalLiteral(word: string, tok: Token): LiteralExpr {
    const text = tok.value!
    if (word === 'DATE') {
      // Spark reads `DATE '2021-01-01 10:00'` as its day too
      const ts = parseDate(text) === undefined ? parseTimestamp(text) : undefined
      const d = ts ? Number(floorDiv(ts.micros, 86_400_000_000n)) : parseDate(text)
      if (d === undefined) throw fail(this.sql, tok.pos, `invalid DATE literal ${JSON.stringify(text)}`)
      return { kind: 'literal', value: d, type: 'date' }
    }
    const ts = parseTimestamp(text)
    if (!ts) throw fail(this.sql, tok.pos, `invalid ${word} literal ${JSON.stringify(text)}`)
    return { kind: 'literal', value: ts.micros, type: word === 'TIMESTAMP_NTZ' ? 'timestamp_ntz' : 'timestamp' }
  }

  private caseExpr(): Expr {
    const operand = this.isKw('WHEN') ? undefined : this.expr()
    const branches: { when: Expr; then: Expr }[] = []
    while (this.acceptKw('WHEN')) {
      const when = this.expr()
      this.expectKw('THEN')
      branches.push({ when, then: this.expr() })
    }
    if (branches.length === 0) throw this.err('expected WHEN')
    const e: Expr = { kind: 'case', branches }
    if (operand) e.operand = operand
    if (this.acceptKw('ELSE')) e.else = this.expr()
    this.expectKw('END')
    return e
  }

  typeName(): DataType {
    const t = this.next()
    if (t.kind !== 'ident') throw this.err('expected a type name', t)
    const word = t.text.toUpperCase()
    if (word === 'DECIMAL' || word === 'DEC' || word === 'NUMERIC') {
      let precision = 10
      let scale = 0
      if (this.acceptOp('(')) {
        precision = this.smallInt()
        if (this.acceptOp(',')) scale = this.smallInt()
        this.expectOp(')')
      }
      if (precision < 1 || precision > 38 || scale < 0 || scale > precision) throw fail(this.sql, t.pos, `invalid DECIMAL(${precision},${scale})`)
      return `decimal(${precision},${scale})`
    }
    const type = TYPE_NAMES[word]
    if (!type) throw fail(this.sql, t.pos, `unknown type ${t.text}`)
    if ((word === 'VARCHAR' || word === 'CHAR') && this.acceptOp('(')) {
      this.smallInt()
      this.expectOp(')')
    }
    return type
  }

  private smallInt(): number {
    const t = this.next()
    if (t.kind !== 'number' || !/^\d+$/.test(t.text)) throw this.err('expected an integer', t)
    return Number(t.text)
  }
}

/** Type a numeric literal as Spark does: 5 → int (or bigint, or decimal beyond), 1.5 → decimal(2,1), 1e3 → double. */
function numberLiteral(sql: string, t: Token, negative = false): LiteralExpr {
  const body = t.value!
  const sign = negative ? '-' : ''
  const suffix = t.text.slice(body.length).toUpperCase()
  const isInt = /^\d+$/.test(body)
  const bad = (why: string): ExpressionError => fail(sql, t.pos, `${why}: ${t.text}`)
  switch (suffix) {
    case 'L': case 'S': case 'Y': {
      if (!isInt) throw bad('integral literal expected')
      const v = BigInt(sign + body)
      const type = suffix === 'L' ? 'long' : suffix === 'S' ? 'short' : 'byte'
      const max = suffix === 'L' ? 2n ** 63n - 1n : suffix === 'S' ? 32767n : 127n
      if (v > max || v < -max - 1n) throw bad('literal out of range')
      return { kind: 'literal', value: type === 'long' ? v : Number(v), type }
    }
    case 'D': case 'F': {
      const n = Number(sign + body)
      if (Number.isNaN(n)) throw bad('malformed number')
      return { kind: 'literal', value: suffix === 'F' ? Math.fround(n) : n, type: suffix === 'F' ? 'float' : 'double' }
    }
  }
  if (suffix === '' && /[eE]/.test(body)) {
    const n = Number(sign + body)
    if (Number.isNaN(n)) throw bad('malformed number')
    return { kind: 'literal', value: n, type: 'double' }
  }
  if (suffix === '' && isInt) {
    const v = BigInt(sign + body)
    if (v <= 2147483647n && v >= -2147483648n) return { kind: 'literal', value: Number(v), type: 'integer' }
    if (v < 2n ** 63n && v >= -(2n ** 63n)) return { kind: 'literal', value: v, type: 'long' }
  }
  const parts = parseDecimalParts(sign + body)
  if (!parts) throw bad('malformed number')
  const scale = Math.max(parts.scale, 0)
  const unscaled = parts.scale < 0 ? parts.unscaled * 10n ** BigInt(-parts.scale) : parts.unscaled
  const precision = Math.max(digitCount(unscaled), scale, 1)
  if (precision > 38) throw bad('decimal literal beyond 38 digits')
  return { kind: 'literal', value: unscaled, type: `decimal(${precision},${scale})` }
}
