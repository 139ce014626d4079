// Structural questions about bound expressions that planners ask: the conjuncts of a condition,
// the equi-join keys of a MERGE ON clause, the part of a predicate one side of a join can check alone.
import type { BoundColumn, BoundExpr } from './bind.js'
import { referencedColumns } from './bind.js'

/** `a AND (b AND c)` → [a, b, c]; a non-AND expression is its own single conjunct. */
export function conjuncts(e: BoundExpr): BoundExpr[] {
  return e.kind === 'and' ? e.args.flatMap(conjuncts) : [e]
}

/** Rebuild a conjunction (TRUE for none). */
export function conjunction(parts: BoundExpr[]): BoundExpr {
  if (parts.length === 0) return { bound: true, kind: 'literal', type: 'boolean', value: true }
  if (parts.length === 1) return parts[0]
  return { bound: true, kind: 'and', type: 'boolean', args: parts }
}

export interface EquiJoin {
  /** Pairs of columns compared with `=` (or `<=>` when `nullSafe`), one from each side. */
  keys: { left: BoundColumn; right: BoundColumn; nullSafe: boolean }[]
  /** The conjuncts that are not such pairs (checked on the joined rows). */
  residual: BoundExpr[]
}

/**
 * Split a two-sided condition (e.g. MERGE ON bound against target/source) into equi-join keys
 * between `leftSide` and `rightSide` and the residual conjuncts. Keys may be written either way round.
 */
export function equiJoin(e: BoundExpr, leftSide: string, rightSide: string): EquiJoin {
  const out: EquiJoin = { keys: [], residual: [] }
  for (const c of conjuncts(e)) {
    if (c.kind === 'compare' && (c.op === '=' || c.op === '<=>') && c.left.kind === 'column' && c.right.kind === 'column') {
      const [l, r] = c.left.side === leftSide && c.right.side === rightSide ? [c.left, c.right]
        : c.left.side === rightSide && c.right.side === leftSide ? [c.right, c.left] : []
      if (l && r) {
        out.keys.push({ left: l, right: r, nullSafe: c.op === '<=>' })
        continue
      }
    }
    out.residual.push(c)
  }
  return out
}

/** The conjuncts of `e` that read only columns accepted by `keep` (e.g. only target columns). */
export function conjunctsOver(e: BoundExpr, keep: (key: string) => boolean): BoundExpr[] {
  return conjuncts(e).filter((c) => referencedColumns(c).every(keep))
}
