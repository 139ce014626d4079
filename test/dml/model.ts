// Plain in-memory references for the DML property tests: tables as arrays of row objects, MERGE with
// Delta's clause semantics, CDC batches reduced by key and sequence. Deliberately naive (no files,
// no hashing) so it can serve as the oracle for the engine.

export type Row = { id: bigint | null; a: number | null; b: number | null; p: number; seq?: bigint | null; deleted?: boolean | null }

/** A condition over (target, source) with SQL three-valued logic collapsed to true/false. */
export interface Cond { sql: string; test: (t: Row | undefined, s: Row | undefined) => boolean }

export type MatchedClause = { kind: 'update'; cond?: Cond; set: 'all' | 'a_from_source' } | { kind: 'delete'; cond?: Cond }
export type InsertClause = { kind: 'insert'; cond?: Cond; values: 'all' | 'a_only' }
export type BySourceClause = { kind: 'update'; cond?: Cond } | { kind: 'delete'; cond?: Cond }

export interface MergeSpec {
  matched: MatchedClause[]
  notMatched: InsertClause[]
  bySource: BySourceClause[]
}

const gt = (x: number | null, k: number): boolean => x !== null && x > k

/** Conditions for matched clauses (both sides). */
export const MATCHED_CONDS: Cond[] = [
  { sql: 's.a > 5', test: (_t, s) => gt(s!.a, 5) },
  { sql: 't.b < 3', test: (t) => t!.b !== null && t!.b < 3 },
  { sql: 'source.a = target.a', test: (t, s) => t!.a !== null && s!.a !== null && t!.a === s!.a },
  { sql: 's.b IS NULL', test: (_t, s) => s!.b === null },
]
/** Conditions for not-matched clauses (source only). */
export const SOURCE_CONDS: Cond[] = [
  { sql: 'a > 3', test: (_t, s) => gt(s!.a, 3) },
  { sql: 's.b IS NOT NULL', test: (_t, s) => s!.b !== null },
  { sql: 'source.p = 1', test: (_t, s) => s!.p === 1 },
]
/** Conditions for not-matched-by-source clauses (target only). */
export const TARGET_CONDS: Cond[] = [
  { sql: 'b > 4', test: (t) => gt(t!.b, 4) },
  { sql: 't.p = 0', test: (t) => t!.p === 0 },
  { sql: 'target.a IS NULL', test: (t) => t!.a === null },
]

export class CardinalityViolation extends Error {}

function firstClause<C extends { cond?: Cond }>(clauses: C[], t: Row | undefined, s: Row | undefined): C | undefined {
  return clauses.find((c) => !c.cond || c.cond.test(t, s))
}

/** Reference MERGE ON t.id = s.id (AND t.p = s.p with `withPartition`). Throws CardinalityViolation as Delta would. */
export function referenceMerge(target: Row[], source: Row[], spec: MergeSpec, withPartition = false): Row[] {
  const out: Row[] = []
  const matchedSource = new Set<number>()
  const soleDelete = spec.matched.length === 1 && spec.matched[0].kind === 'delete' && !spec.matched[0].cond
  for (const t of target) {
    const hits = t.id === null ? [] : source.map((s, i) => [s, i] as const).filter(([s]) => s.id !== null && s.id === t.id && (!withPartition || s.p === t.p))
    for (const [, i] of hits) matchedSource.add(i)
    if (hits.length === 0) {
      const c = firstClause(spec.bySource, t, undefined)
      if (!c) out.push(t)
      else if (c.kind === 'update') out.push({ ...t, b: t.b === null ? null : t.b + 1 })
      continue
    }
    if (spec.matched.length === 0) { out.push(t); continue }
    const applied = hits.map(([s]) => [s, firstClause(spec.matched, t, s)] as const)
    if (hits.length > 1 && !soleDelete && applied.some(([, c]) => c)) throw new CardinalityViolation()
    const [s, c] = applied[0]
    if (!c) out.push(t)
    else if (c.kind === 'update') out.push(c.set === 'all' ? { ...s } : { ...t, a: s.a })
  }
  source.forEach((s, i) => {
    if (matchedSource.has(i)) return
    const c = firstClause(spec.notMatched, undefined, s)
    if (!c) return
    out.push(c.values === 'all' ? { ...s } : { id: s.id, a: s.a, b: null, p: s.p })
  })
  return out
}

export type Op = 'I' | 'U' | 'D'
export type Change = Row & { op: string; seq: bigint | null }

/** Reference CDC merge: latest change per key by seq (ties: later row), then upsert/delete. */
export function referenceCdc(target: Row[], batch: Change[], o: { seq: boolean; ignoreOlder: boolean; storeSeq: boolean; soft: boolean }): Row[] {
  const latest = new Map<bigint, Change>()
  for (const c of batch) {
    const prev = latest.get(c.id!)
    if (!prev || !o.seq) { latest.set(c.id!, c); continue }
    const a = prev.seq
    const b = c.seq
    if (b === null ? a === null : a === null || b >= a) latest.set(c.id!, c)
  }
  const rows = new Map<bigint | null, Row>()
  const extra: Row[] = []
  for (const r of target) { if (r.id === null) extra.push(r); else rows.set(r.id, r) }
  const order = [...latest.values()].sort((x, y) => batch.indexOf(x) - batch.indexOf(y))
  for (const c of order) {
    const isDelete = /^(d|delete)$/i.test(c.op)
    const t = rows.get(c.id)
    if (t && o.ignoreOlder && o.storeSeq && t.seq !== null && t.seq !== undefined && (c.seq === null || c.seq < t.seq)) continue
    const stored: Row = { id: c.id, a: c.a, b: c.b, p: c.p }
    if (o.storeSeq) stored.seq = c.seq
    if (isDelete) {
      if (!t) continue
      if (o.soft) rows.set(c.id, { ...t, deleted: true, ...(o.storeSeq && o.seq ? { seq: c.seq } : {}) })
      else rows.delete(c.id)
      continue
    }
    rows.set(c.id, { ...(t ?? {}), ...stored, ...(o.soft ? { deleted: false } : {}) } as Row)
  }
  return [...rows.values(), ...extra]
}

/** Canonical, order-free form of a set of rows for equality checks. */
export function canon(rows: Array<Record<string, unknown>>): string[] {
  return rows.map((r) => JSON.stringify(Object.keys(r).sort().map((k) => [k, typeof r[k] === 'bigint' ? `${r[k]}n` : r[k] ?? null]))).sort()
}
