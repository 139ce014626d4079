// The expression layer's public surface: model, builder, parser, binder, evaluators, printer.
export * from './ast.js'
export { col, lit, and, or, not, fn, operand, wrap, filterFromTuples, type BuiltExpr, type ExprMethods, type Operand, type FilterTuple } from './builder.js'
export { parseExpression, parseTypeName } from './parser.js'
export {
  bindExpr, bindPredicate, isBound, referencedColumns, resolvePath, walkBound, boundChildren, mkLiteral, mkCast,
  type BoundExpr, type BoundColumn, type BoundLiteral, type BindScope, type BindSide, type BindOptions, type ExprLike,
} from './bind.js'
export { evalPredicateRows, evalExpression, evalRow, likeRegExp, likeMatcher, compareTest, comparatorFor, type ColumnBatch } from './eval.js'
export { castValue, commonType } from './cast.js'
export { exprToSql, boundToSql, unbind, literalToSql, quoteIdent } from './print.js'
export { conjuncts, conjunction, conjunctsOver, equiJoin, type EquiJoin } from './analysis.js'
export { compileBoundsCheck, rowSetMayMatch, rowSetMustMatch, toNnf, likePrefix, type BoundsCheck, type ColumnBounds, type RowSetSummary } from './bounds.js'
