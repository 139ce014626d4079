// The expression model used everywhere a condition or a value is computed: scan filters,
// replaceWhere, DELETE/UPDATE conditions and SET values, MERGE conditions. Unbound (names only);
// `bind.ts` resolves names against a schema and fixes every node's type.
import type { DataType } from '../schema/types.js'
import type { DeltaValue } from '../schema/values.js'

/** A comparison operator of a `CompareExpr`. */
export type CompareOp = '=' | '<>' | '<' | '<=' | '>' | '>=' | '<=>'
/** An arithmetic operator of an `ArithExpr`. */
export type ArithOp = '+' | '-' | '*' | '/' | '%'

/** A column by its path of names (`a.b.c` → ['a','b','c']); MERGE reads a first `t`/`s`/`target`/`source` as the side. */
export interface ColumnExpr { kind: 'column'; path: string[] }
/** A typed literal; `type: null` only for an untyped NULL (its type comes from the context). */
export interface LiteralExpr { kind: 'literal'; value: DeltaValue; type: DataType | null }
/** A comparison of two expressions (`=`, `<`, `<=>`…). */
export interface CompareExpr { kind: 'compare'; op: CompareOp; left: Expr; right: Expr }
/** Conjunction of expressions (SQL `AND`). */
export interface AndExpr { kind: 'and'; args: Expr[] }
/** Disjunction of expressions (SQL `OR`). */
export interface OrExpr { kind: 'or'; args: Expr[] }
/** Negation (SQL `NOT`). */
export interface NotExpr { kind: 'not'; arg: Expr }
/** Membership test (SQL `IN (…)`). */
export interface InExpr { kind: 'in'; value: Expr; list: Expr[]; negated: boolean }
/** Range test (SQL `BETWEEN … AND …`). */
export interface BetweenExpr { kind: 'between'; value: Expr; low: Expr; high: Expr; negated: boolean }
/** Null test (SQL `IS [NOT] NULL`). */
export interface IsNullExpr { kind: 'isNull'; arg: Expr; negated: boolean }
/** SQL LIKE with `%` and `_`; `escape` defaults to backslash; `caseInsensitive` for ILIKE. */
export interface LikeExpr { kind: 'like'; value: Expr; pattern: Expr; negated: boolean; escape?: string; caseInsensitive?: boolean }
/** Arithmetic on two expressions (`+`, `-`, `*`, `/`, `%`). */
export interface ArithExpr { kind: 'arith'; op: ArithOp; left: Expr; right: Expr }
/** Unary minus. */
export interface NegateExpr { kind: 'negate'; arg: Expr }
/** A cast to a Delta type (SQL `CAST(… AS …)`). */
export interface CastExpr { kind: 'cast'; arg: Expr; to: DataType }
/** A function call by lower-case name (`coalesce`, `lower`, `concat`…; see functions.ts). */
export interface CallExpr { kind: 'call'; name: string; args: Expr[] }
/** CASE [operand] WHEN … THEN … [ELSE …] END. */
export interface CaseExpr { kind: 'case'; operand?: Expr; branches: { when: Expr; then: Expr }[]; else?: Expr }

/** A parsed expression (filter, condition, SET value): build one with `col`/`lit` or parse SQL with `parseExpression`. */
export type Expr =
  | ColumnExpr | LiteralExpr | CompareExpr | AndExpr | OrExpr | NotExpr | InExpr | BetweenExpr
  | IsNullExpr | LikeExpr | ArithExpr | NegateExpr | CastExpr | CallExpr | CaseExpr

export const EXPR_KINDS: ReadonlySet<string> = new Set([
  'column', 'literal', 'compare', 'and', 'or', 'not', 'in', 'between', 'isNull', 'like', 'arith',
  'negate', 'cast', 'call', 'case',
])

/** Whether a value is an expression node (as opposed to a plain JS value used as a literal). */
export function isExpr(v: unknown): v is Expr {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof Map) &&
    !(v instanceof Date) && typeof (v as { kind?: unknown }).kind === 'string' && EXPR_KINDS.has((v as { kind: string }).kind)
}

/** The children of a node, in evaluation order (for generic walks). */
export function children(e: Expr): Expr[] {
  switch (e.kind) {
    case 'column': case 'literal': return []
    case 'compare': case 'arith': return [e.left, e.right]
    case 'and': case 'or': return e.args
    case 'not': case 'negate': case 'cast': case 'isNull': return [e.arg]
    case 'in': return [e.value, ...e.list]
    case 'between': return [e.value, e.low, e.high]
    case 'like': return [e.value, e.pattern]
    case 'call': return e.args
    case 'case': return [...(e.operand ? [e.operand] : []), ...e.branches.flatMap((b) => [b.when, b.then]), ...(e.else ? [e.else] : [])]
  }
}
