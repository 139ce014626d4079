// Binding: resolve an Expr's column names against a schema (or, for MERGE, against named sides
// such as target/source), type-check it, and insert the implicit casts, giving a BoundExpr that the
// evaluators and file skipping run on.
import { ExpressionError } from '../errors.js'
import { findField, isStruct, typeToString, type DataType, type StructField, type StructType } from '../schema/types.js'
import type { DeltaValue } from '../schema/values.js'
import { isExpr, type ArithOp, type CompareOp, type Expr, type LiteralExpr } from './ast.js'
import { parseExpression } from './parser.js'
import { castsExactly, castValue, commonType, isDecimal, isIntegral, isNumeric, isTemporal } from './cast.js'
import { digitCount } from '../schema/decimal.js'
import { pathKey } from '../schema/column-path.js'
import { arithmeticType } from './arith.js'
import { bindCall } from './functions.js'
import { evalRow } from './eval.js'

/** One named row source of a scope; MERGE binds against `target` (alias t) and `source` (alias s). */
export interface BindSide { name: string; aliases?: string[]; schema: StructType }
export interface BindScope { sides: BindSide[] }

interface B { bound: true; type: DataType }
export interface BoundColumn extends B {
  kind: 'column'
  /** The name `batch.column()` is asked for: pathKey of the logical names, prefixed by the side in multi-side scopes. */
  key: string
  /** Logical field names from the top of the side's schema. */
  path: string[]
  side?: string
  nullable: boolean
}
export interface BoundLiteral extends B { kind: 'literal'; value: DeltaValue }
export interface BoundCompare extends B { kind: 'compare'; op: CompareOp; left: BoundExpr; right: BoundExpr }
export interface BoundJunction extends B { kind: 'and' | 'or'; args: BoundExpr[] }
export interface BoundNot extends B { kind: 'not'; arg: BoundExpr }
export interface BoundIn extends B { kind: 'in'; value: BoundExpr; list: BoundExpr[]; negated: boolean }
export interface BoundIsNull extends B { kind: 'isNull'; arg: BoundExpr; negated: boolean }
export interface BoundLike extends B { kind: 'like'; value: BoundExpr; pattern: BoundExpr; negated: boolean; escape: string; caseInsensitive: boolean }
export interface BoundArith extends B { kind: 'arith'; op: ArithOp; left: BoundExpr; right: BoundExpr }
export interface BoundNegate extends B { kind: 'negate'; arg: BoundExpr }
export interface BoundCast extends B { kind: 'cast'; arg: BoundExpr }
export interface BoundCall extends B { kind: 'call'; name: string; args: BoundExpr[] }
export interface BoundCase extends B { kind: 'case'; branches: { when: BoundExpr; then: BoundExpr }[]; else: BoundExpr }

export type BoundExpr =
  | BoundColumn | BoundLiteral | BoundCompare | BoundJunction | BoundNot | BoundIn | BoundIsNull
  | BoundLike | BoundArith | BoundNegate | BoundCast | BoundCall | BoundCase

/** What callers may pass where an expression is expected. */
export type ExprLike = Expr | string

export function isBound(e: unknown): e is BoundExpr {
  return typeof e === 'object' && e !== null && (e as { bound?: unknown }).bound === true
}

export interface BindOptions {
  /** Require a boolean result (filters and conditions). */
  predicate?: boolean
  /** Named in messages ("filter", "replaceWhere", "merge condition"…). */
  what?: string
  table?: string
}

/** Bind an expression (or SQL text) against a schema or a multi-side scope. */
export function bindExpr(expr: ExprLike | BoundExpr, scope: StructType | BindScope, opts: BindOptions = {}): BoundExpr {
  if (isBound(expr)) return expr
  const e = typeof expr === 'string' ? parseExpression(expr) : expr
  if (!isExpr(e)) throw new ExpressionError(`${opts.what ?? 'expression'} is not an expression: ${String(expr)}`)
  const sides = 'sides' in scope ? scope.sides : [{ name: '', schema: scope }]
  const b = new Binder(sides, opts)
  const bound = b.bind(e)
  if (opts.predicate && bound.type !== 'boolean' && bound.type !== 'void') {
    throw new ExpressionError(`${opts.what ?? 'filter'} must be a boolean condition, got ${typeToString(bound.type)}: ${exprLabel(e)}`, { table: opts.table })
  }
  return bound
}

/** bindExpr for conditions: the result must be boolean. */
export function bindPredicate(expr: ExprLike | BoundExpr, scope: StructType | BindScope, opts: Omit<BindOptions, 'predicate'> = {}): BoundExpr {
  return bindExpr(expr, scope, { ...opts, predicate: true })
}

function exprLabel(e: Expr): string {
  if (e.kind === 'column') return e.path.join('.')
  return e.kind
}

export function mkLiteral(value: DeltaValue, type: DataType): BoundLiteral {
  return { bound: true, kind: 'literal', type, value }
}
export function mkCast(arg: BoundExpr, type: DataType): BoundExpr {
  if (typeToString(arg.type) === typeToString(type)) return arg
  if (arg.kind === 'literal') return mkLiteral(castValue(arg.value, arg.type, type), type)
  return { bound: true, kind: 'cast', type, arg }
}

class Binder {
  constructor(private readonly sides: BindSide[], private readonly opts: BindOptions) {}

  private err(message: string, column?: string): ExpressionError {
    return new ExpressionError(message, { column, table: this.opts.table })
  }

  /** Bind, then fold a node whose inputs are all literals into a literal (`DATE '2024-01-01' - INTERVAL 7 DAYS`). */
  bind(e: Expr): BoundExpr {
    const b = this.bindNode(e)
    if (b.kind === 'literal' || b.kind === 'column') return b
    const kids = boundChildren(b)
    if (kids.length === 0 || !kids.every((k) => k.kind === 'literal')) return b
    try {
      return mkLiteral(evalRow(b, {}), b.type)
    } catch {
      return b // an error (overflow, bad cast) surfaces when the expression runs
    }
  }

  private bindNode(e: Expr): BoundExpr {
    switch (e.kind) {
      case 'column': return this.column(e.path)
      case 'literal': return this.literal(e)
      case 'compare': {
        const [l, r] = this.coercePair(this.bind(e.left), this.bind(e.right), e.op, e)
        return { bound: true, kind: 'compare', type: 'boolean', op: e.op, left: l, right: r }
      }
      case 'and': case 'or': {
        const args = e.args.map((a) => this.boolArg(a, e.kind.toUpperCase()))
        if (args.length === 0) return mkLiteral(e.kind === 'and', 'boolean')
        if (args.length === 1) return args[0]
        return { bound: true, kind: e.kind, type: 'boolean', args: args.flatMap((a) => (a.kind === e.kind ? a.args : [a])) }
      }
      case 'not': return { bound: true, kind: 'not', type: 'boolean', arg: this.boolArg(e.arg, 'NOT') }
      case 'isNull': return { bound: true, kind: 'isNull', type: 'boolean', arg: this.bind(e.arg), negated: e.negated }
      case 'in': {
        const value0 = this.bind(e.value)
        const list0 = e.list.map((x) => this.bind(x))
        let t: DataType | null = value0.type === 'void' ? null : value0.type
        for (const x of list0) {
          if (x.kind === 'literal' && t !== null && this.fitLiteral(x, t, value0)) continue
          const c = commonType(t, x.type === 'void' ? null : x.type)
          if (c === undefined) throw this.incompatible(value0, x, 'IN')
          t = c
        }
        const target = t ?? 'void'
        const value = this.castOperand(value0, target, 'IN')
        const list = list0.map((x) => (x.kind === 'literal' && this.fitLiteral(x, target, value0)) || this.castOperand(x, target, 'IN'))
        return { bound: true, kind: 'in', type: 'boolean', value, list, negated: e.negated }
      }
      case 'between': {
        const v = this.bind(e.value)
        const [v1, lo] = this.coercePair(v, this.bind(e.low), '>=', e)
        const [v2, hi] = this.coercePair(v, this.bind(e.high), '<=', e)
        const range: BoundExpr = {
          bound: true, kind: 'and', type: 'boolean',
          args: [
            { bound: true, kind: 'compare', type: 'boolean', op: '>=', left: v1, right: lo },
            { bound: true, kind: 'compare', type: 'boolean', op: '<=', left: v2, right: hi },
          ],
        }
        return e.negated ? { bound: true, kind: 'not', type: 'boolean', arg: range } : range
      }
      case 'like': {
        const value = this.bind(e.value)
        const pattern = this.bind(e.pattern)
        for (const [x, what] of [[value, 'LIKE operand'], [pattern, 'LIKE pattern']] as const) {
          if (x.type !== 'string' && x.type !== 'void') throw this.err(`${what} must be a string, got ${typeToString(x.type)}${x.kind === 'column' ? ` (column ${x.key})` : ''}`, x.kind === 'column' ? x.key : undefined)
        }
        const escape = e.escape ?? '\\'
        return { bound: true, kind: 'like', type: 'boolean', value, pattern, negated: e.negated, escape, caseInsensitive: e.caseInsensitive === true }
      }
      case 'arith': {
        let l = this.bind(e.left)
        let r = this.bind(e.right)
        // Spark types an integer literal next to a decimal by its own digits (2 → decimal(1,0)),
        // so `price * 2` stays decimal(p+2, s) rather than growing by a long's 20 digits.
        if (isDecimal(r.type)) l = narrowIntegralLiteral(l)
        if (isDecimal(l.type)) r = narrowIntegralLiteral(r)
        const t = arithmeticType(e.op, l.type, r.type)
        if (!t) throw this.incompatible(l, r, e.op)
        return { bound: true, kind: 'arith', op: e.op, type: t.result, left: mkCast(l, t.left), right: mkCast(r, t.right) }
      }
      case 'negate': {
        const a = this.bind(e.arg)
        if (!arithmeticType('-', a.type, a.type)) throw this.err(`cannot negate ${typeToString(a.type)}${a.kind === 'column' ? ` column ${a.key}` : ''}`, a.kind === 'column' ? a.key : undefined)
        return { bound: true, kind: 'negate', type: a.type, arg: a }
      }
      case 'cast': {
        const a = this.bind(e.arg)
        try {
          return mkCast(a, e.to)
        } catch (err) {
          throw this.err((err as Error).message)
        }
      }
      case 'call': return bindCall(e.name, e.args.map((a) => this.bind(a)), this.err.bind(this))
      case 'case': {
        const branches = e.branches.map((br) => ({
          when: e.operand ? this.bind({ kind: 'compare', op: '=', left: e.operand, right: br.when }) : this.boolArg(br.when, 'WHEN'),
          then: this.bind(br.then),
        }))
        const elseB = e.else ? this.bind(e.else) : mkLiteral(null, 'void')
        let t: DataType | null = null
        for (const x of [...branches.map((b) => b.then), elseB]) {
          const c = commonType(t, x.type === 'void' ? null : x.type)
          if (c === undefined) throw this.err(`CASE branches have incompatible types ${typeToString(t!)} and ${typeToString(x.type)}`)
          t = c
        }
        const type = t ?? 'void'
        return {
          bound: true, kind: 'case', type,
          branches: branches.map((b) => ({ when: b.when, then: mkCast(b.then, type) })),
          else: elseB.type === 'void' ? mkLiteral(null, type) : mkCast(elseB, type),
        }
      }
    }
  }

  private boolArg(e: Expr, op: string): BoundExpr {
    const b = this.bind(e)
    if (b.type === 'void') return mkLiteral(null, 'boolean')
    if (b.type !== 'boolean') {
      throw this.err(`${op} needs boolean operands, got ${typeToString(b.type)}${b.kind === 'column' ? ` column ${b.key}` : ''}`, b.kind === 'column' ? b.key : undefined)
    }
    return b
  }

  private literal(e: LiteralExpr): BoundExpr {
    if (e.type === null) return mkLiteral(null, 'void')
    return mkLiteral(e.value, e.type)
  }

  private column(path: string[]): BoundColumn {
    const shown = path.join('.')
    type Hit = { side: BindSide; field: StructField; names: string[] }
    const hits: Hit[] = []
    let qualifiedMiss: ExpressionError | undefined
    for (const side of this.sides) {
      const names = [side.name, ...(side.aliases ?? [])].filter((n) => n !== '').map((n) => n.toLowerCase())
      // qualified: `t.id`, `source.id`
      if (path.length > 1 && names.includes(path[0].toLowerCase())) {
        const r = resolvePath(side.schema, path.slice(1))
        if (r) return this.mkColumn(side, r.field, r.names)
        // maybe a struct column that happens to share the qualifier's name: try unqualified below
        qualifiedMiss ??= this.unknown(path.slice(1).join('.'), side)
      }
    }
    for (const side of this.sides) {
      const r = resolvePath(side.schema, path)
      if (r) hits.push({ side, ...r })
    }
    if (hits.length === 0) throw qualifiedMiss ?? this.unknown(shown)
    if (hits.length > 1) {
      throw this.err(`column ${shown} is ambiguous: it exists in ${hits.map((h) => h.side.name).join(' and ')}; qualify it (e.g. ${hits[0].side.name}.${shown})`, shown)
    }
    return this.mkColumn(hits[0].side, hits[0].field, hits[0].names)
  }

  private mkColumn(side: BindSide, field: StructField, names: string[]): BoundColumn {
    const key = this.sides.length > 1 || side.name ? pathKey([side.name, ...names]) : pathKey(names)
    const c: BoundColumn = { bound: true, kind: 'column', type: field.type, key, path: names, nullable: field.nullable }
    if (side.name) c.side = side.name
    return c
  }

  private unknown(name: string, side?: BindSide): ExpressionError {
    const fields = this.sides.flatMap((s) => (side && s !== side ? [] : s.schema.fields.map((f) => (this.sides.length > 1 ? `${s.name}.${f.name}` : f.name))))
    const where = side ? ` in ${side.name}` : ''
    return this.err(`unknown column ${name}${where} in ${this.opts.what ?? 'expression'}; available: ${fields.slice(0, 30).join(', ')}${fields.length > 30 ? ', …' : ''}`, name)
  }

  private incompatible(l: BoundExpr, r: BoundExpr, op: string): ExpressionError {
    const col = l.kind === 'column' ? l : r.kind === 'column' ? r : undefined
    const desc = (x: BoundExpr): string => (x.kind === 'column' ? `column ${x.key} (${typeToString(x.type)})` : typeToString(x.type))
    return this.err(`cannot apply ${op} to ${desc(l)} and ${desc(r)}${col ? '' : ''}`, col?.key)
  }

  /** Bring two operands of a comparison to one type, preferring to convert a literal to the column's type. */
  private coercePair(l: BoundExpr, r: BoundExpr, op: string, _e: Expr): [BoundExpr, BoundExpr] {
    if (r.kind === 'literal' && l.kind !== 'literal') {
      const x = this.fitLiteral(r, l.type, l)
      if (x) return [l, x]
    }
    if (l.kind === 'literal' && r.kind !== 'literal') {
      const x = this.fitLiteral(l, r.type, r)
      if (x) return [x, r]
    }
    if (l.type === 'void' && r.type === 'void') return [l, r]
    const t = commonType(l.type === 'void' ? null : l.type, r.type === 'void' ? null : r.type)
    if (t === undefined) throw this.incompatible(l, r, op)
    return [this.castOperand(l, t, op), this.castOperand(r, t, op)]
  }

  /**
   * A literal converted to type `t` when it fits exactly (keeps the other side uncast, which file
   * skipping and speed like); a string literal against a date/timestamp is parsed (invalid text is
   * an error naming the column). Undefined when the literal needs a wider common type.
   */
  private fitLiteral(x: BoundLiteral, t: DataType, other: BoundExpr): BoundLiteral | undefined {
    if (t === 'void') return undefined
    if (x.type === 'void') return mkLiteral(null, t)
    if (typeToString(x.type) === typeToString(t)) return x
    // A string literal against a date/timestamp/number/boolean is read as that type, as Spark's
    // implicit cast does (`d >= '2024-01-01'`, delta-rs style `("x", "<", "10.0")` filters).
    if (x.type === 'string' && (isTemporal(t) || isNumeric(t) || t === 'boolean')) {
      try {
        return mkLiteral(castValue(x.value, 'string', t), t)
      } catch {
        const column = other.kind === 'column' ? other.key : undefined
        throw this.err(`invalid ${typeToString(t)} literal ${JSON.stringify(x.value)}${column ? ` for column ${column}` : ''}`, column)
      }
    }
    if (commonType(x.type, t) === undefined) return undefined
    if (!castsExactly(x.value, x.type, t)) return undefined
    return mkLiteral(castValue(x.value, x.type, t), t)
  }

  private castOperand(x: BoundExpr, t: DataType, op: string): BoundExpr {
    if (x.type === 'void') return mkLiteral(null, t)
    try {
      return mkCast(x, t)
    } catch (err) {
      throw this.err(`${op}: ${(err as Error).message}`, x.kind === 'column' ? x.key : undefined)
    }
  }
}

function narrowIntegralLiteral(x: BoundExpr): BoundExpr {
  if (x.kind !== 'literal' || x.value === null || !isIntegral(x.type)) return x
  const v = BigInt(x.value as number | bigint)
  return mkLiteral(v, `decimal(${digitCount(v)},0)`)
}

/** Resolve a path case-insensitively through structs; returns the canonical logical names. */
export function resolvePath(schema: StructType, path: string[]): { field: StructField; names: string[] } | undefined {
  let current: StructType = schema
  const names: string[] = []
  let field: StructField | undefined
  for (let i = 0; i < path.length; i++) {
    field = findField(current, path[i])
    if (!field) return undefined
    names.push(field.name)
    if (i < path.length - 1) {
      if (!isStruct(field.type)) return undefined
      current = field.type
    }
  }
  return field && { field, names }
}

/** The logical column keys an expression reads (deduplicated, in first-use order). */
export function referencedColumns(e: BoundExpr): string[] {
  const out = new Set<string>()
  walkBound(e, (n) => { if (n.kind === 'column') out.add(n.key) })
  return [...out]
}

export function boundChildren(e: BoundExpr): BoundExpr[] {
  switch (e.kind) {
    case 'column': case 'literal': return []
    case 'compare': case 'arith': return [e.left, e.right]
    case 'and': case 'or': return e.args
    case 'not': case 'negate': case 'cast': case 'isNull': return [e.arg]
    case 'in': return [e.value, ...e.list]
    case 'like': return [e.value, e.pattern]
    case 'call': return e.args
    case 'case': return [...e.branches.flatMap((b) => [b.when, b.then]), e.else]
  }
}

export function walkBound(e: BoundExpr, visit: (n: BoundExpr) => void): void {
  visit(e)
  for (const c of boundChildren(e)) walkBound(c, visit)
}

