// MERGE/UPDATE clauses: what the builder collects (conditions and assignments as SQL text, Expr or
// plain values) and their bound form (every target column assigned: by the user, kept from the
// target for updates, null for inserts), plus the "first matching clause wins" evaluation.
import { ConstraintViolationError, SchemaMismatchError } from '../errors.js'
import type { Expr } from '../expr/ast.js'
import { isExpr } from '../expr/ast.js'
import { bindExpr, bindPredicate, isBound, mkCast, mkLiteral, type BindScope, type BoundExpr, type ExprLike } from '../expr/bind.js'
import { lit } from '../expr/builder.js'
import { commonType } from '../expr/cast.js'
import { evalExpression, evalPredicateRows, type ColumnBatch } from '../expr/eval.js'
import { findField, typeToString, type StructField, type StructType } from '../schema/types.js'
import type { DeltaValue } from '../schema/values.js'
import { keyPath } from '../schema/column-path.js'

/** A value in `set`/`values`: SQL text, an expression, or a plain JS value taken as a literal. */
export type AssignmentValue = ExprLike | DeltaValue | Date | number | boolean | null
/** Column → new value of an UPDATE or INSERT: a SQL expression string, an `Expr`, or a literal value. */
export type Assignments = Record<string, AssignmentValue>

export type ClauseKind = 'update' | 'delete' | 'insert'
export interface ClauseSpec {
  kind: ClauseKind
  condition?: ExprLike
  /** Column → value; 'all' for updateAll / insertAll (every column the source has). */
  assign?: Assignments | 'all'
  /** With 'all': assignments that override or complete it (CDC soft-delete flags). */
  extra?: Assignments
}

export interface BoundClause {
  kind: ClauseKind
  condition?: BoundExpr
  /** One expression per output field, in output schema order (update/insert only). */
  values?: BoundExpr[]
  /** Whether every output column is computed without reading the target's old values. */
  fullAssignment: boolean
  /** For metrics and commitInfo. */
  conditionSql?: string
}

function toExpr(v: AssignmentValue): ExprLike {
  if (typeof v === 'string' || isExpr(v)) return v as ExprLike
  return lit(v as DeltaValue | Date) as Expr
}

/** Bind a condition; `undefined` when absent. */
export function bindCondition(cond: ExprLike | undefined, scope: BindScope, what: string, table?: string): BoundExpr | undefined {
  if (cond === undefined || cond === null) return undefined
  return bindPredicate(cond, scope, { what, table })
}

/** A target column name of an assignment key (`col`, `t.col`, `target.col`). */
function assignedField(schema: StructType, key: string, aliases: string[], table?: string): StructField {
  // a name as written (`id.num`), else a path (`t.col`, `` t.`id.num` ``, `` `id.num` ``)
  let f = findField(schema, key)
  if (!f) {
    let path: string[] = []
    try { path = keyPath(key) } catch { /* not a path: unknown below */ }
    if (path.length >= 2 && aliases.includes(path[0]!.toLowerCase())) {
      f = findField(schema, key.slice(key.indexOf('.') + 1)) // `t.id.num`
      path = path.slice(1)
    }
    if (!f && path.length === 1) f = findField(schema, path[0]!)
  }
  if (!f) throw new SchemaMismatchError(`cannot assign unknown column ${key}; the target has ${schema.fields.map((x) => x.name).join(', ')} (table ${table ?? '?'})`, { column: key, table })
  return f
}

/** The expression cast to the column's type, refusing types that have no common type with it. */
export function assignTo(field: StructField, e: BoundExpr, table?: string): BoundExpr {
  if (e.type === 'void') return mkLiteral(null, field.type)
  if (typeToString(e.type) === typeToString(field.type)) return e
  if (typeof e.type !== 'string' || typeof field.type !== 'string' || commonType(e.type, field.type) === undefined) {
    throw new SchemaMismatchError(`cannot assign a ${typeToString(e.type)} value to column ${field.name} of type ${typeToString(field.type)} (table ${table ?? '?'})`, { column: field.name, table })
  }
  return mkCast(e, field.type)
}

export interface BindClauseContext {
  /** Schema of the rows written (the target's, plus columns mergeSchema adds). */
  output: StructType
  scope: BindScope
  /** The side holding the old row for updates (`target`), absent for inserts. */
  keepSide?: string
  /** The side `*All` clauses take values from (`source`). */
  allSide?: { name: string; schema: StructType }
  what: string
  table?: string
}

function isIdentity(f: StructField): boolean {
  return 'delta.identity.start' in f.metadata || 'delta.identity.step' in f.metadata
}

/** Bind one clause; assignments cover every output column. */
export function bindClause(spec: ClauseSpec, ctx: BindClauseContext): BoundClause {
  const condition = bindCondition(spec.condition, ctx.scope, `${ctx.what} condition`, ctx.table)
  const conditionSql = typeof spec.condition === 'string' ? spec.condition : undefined
  if (spec.kind === 'delete') return { kind: 'delete', condition, fullAssignment: true, conditionSql }
  const given = new Map<string, BoundExpr>()
  const aliases = ['t', 'target']
  if (spec.assign === 'all') {
    const side = ctx.allSide!
    for (const f of ctx.output.fields) {
      const s = findField(side.schema, f.name)
      if (s) given.set(f.name, bindExpr({ kind: 'column', path: [side.name, s.name] }, ctx.scope, { what: ctx.what, table: ctx.table }))
    }
    for (const [key, v] of Object.entries(spec.extra ?? {})) {
      const f = assignedField(ctx.output, key, aliases, ctx.table)
      given.set(f.name, isBound(v) ? v : bindExpr(toExpr(v), ctx.scope, { what: `${ctx.what} value of ${f.name}`, table: ctx.table }))
    }
  } else {
    for (const [key, v] of Object.entries(spec.assign ?? {})) {
      const f = assignedField(ctx.output, key, aliases, ctx.table)
      if (given.has(f.name)) throw new SchemaMismatchError(`column ${f.name} is assigned twice in ${ctx.what}`, { column: f.name, table: ctx.table })
      const e = isBound(v) ? v : bindExpr(toExpr(v), ctx.scope, { what: `${ctx.what} value of ${f.name}`, table: ctx.table })
      given.set(f.name, e)
    }
  }
  if (ctx.keepSide) {
    // Identity columns are not updatable (Delta): an explicit assignment is refused, `*All` keeps the old value.
    for (const f of ctx.output.fields) {
      if (!isIdentity(f) || !given.has(f.name)) continue
      if (spec.assign !== 'all' || Object.keys(spec.extra ?? {}).some((k) => k.toLowerCase().replace(/^(t|target)\./, '') === f.name.toLowerCase())) {
        throw new ConstraintViolationError(`${ctx.what} cannot assign identity column ${f.name} (table ${ctx.table ?? '?'})`, { column: f.name, table: ctx.table })
      }
      given.delete(f.name)
    }
  }
  let full = true
  const values = ctx.output.fields.map((f) => {
    const g = given.get(f.name)
    if (g) return assignTo(f, g, ctx.table)
    // a generated column left unassigned is recomputed from the new row when it is written
    if (typeof f.metadata['delta.generationExpression'] === 'string') return mkLiteral(null, f.type)
    if (ctx.keepSide) {
      full = false
      const old = ctx.scope.sides.find((s) => s.name === ctx.keepSide)!
      if (!findField(old.schema, f.name)) return mkLiteral(null, f.type) // a column mergeSchema adds
      return bindExpr({ kind: 'column', path: [ctx.keepSide, f.name] }, ctx.scope, { table: ctx.table })
    }
    return mkLiteral(null, f.type)
  })
  return { kind: spec.kind, condition, values, fullAssignment: full, conditionSql }
}

/**
 * For each row of the batch, the index of the first clause whose condition is TRUE, or -1
 * (Delta: clauses of one kind are tried in order, the first that applies wins).
 */
export function firstMatchingClause(clauses: BoundClause[], batch: ColumnBatch): Int32Array {
  const out = new Int32Array(batch.length).fill(-1)
  let open = batch.length
  for (let c = 0; c < clauses.length && open > 0; c++) {
    const cond = clauses[c].condition
    if (!cond) {
      for (let i = 0; i < out.length; i++) if (out[i] < 0) out[i] = c
      break
    }
    const ok = evalPredicateRows(cond, batch)
    for (let i = 0; i < out.length; i++) if (out[i] < 0 && ok[i]) { out[i] = c; open-- }
  }
  return out
}

/** The values of each expression over the batch; a plain column is the batch's own (gathered) array. */
export function evalValues(exprs: BoundExpr[], batch: ColumnBatch): ArrayLike<DeltaValue>[] {
  return exprs.map((e) => (e.kind === 'column' ? batch.column(e.key) : evalExpression(e, batch)))
}
