// Gold helpers: aggregations and joins over plain rows (exact decimal sums on the decimal text that
// `toRows` returns), and the two ways a gold table is kept: rebuilt with one overwrite (skipped when
// none of its inputs moved), or merged incrementally by key.
import type { DeltaTable, WriteResult } from '../index.js'
import { keyOf, type Row } from './rows.js'
import { checkOptions } from '../options.js'

/** An aggregate of `groupBy`: count, sum, min, max, avg or countDistinct, optionally filtered. */
export type Agg =
  | { fn: 'count' }
  | { fn: 'sum' | 'min' | 'max' | 'avg' | 'countDistinct'; column: string; where?: (row: Row) => boolean }
  | { fn: 'count'; where: (row: Row) => boolean }

/** Exact decimal text arithmetic: text → [unscaled, scale]. */
function parseDec(s: string): [bigint, number] {
  const neg = s.startsWith('-')
  const [i, f = ''] = s.replace(/^[+-]/, '').split('.')
  const u = BigInt((i || '0') + f)
  return [neg ? -u : u, f.length]
}
function fmtDec(u: bigint, scale: number): string {
  const neg = u < 0n
  const t = (neg ? -u : u).toString().padStart(scale + 1, '0')
  const s = scale ? `${t.slice(0, -scale)}.${t.slice(-scale)}` : t
  return neg ? `-${s}` : s
}

/**
 * Sum of numbers, bigints or decimal text (the result keeps the input's kind; nulls skipped).
 * @example
 * sumValues([1n, 2n, null]) // 3n
 */
export function sumValues(values: readonly unknown[]): unknown {
  let kind: 'number' | 'bigint' | 'decimal' | undefined
  let n = 0, b = 0n, d = 0n, scale = 0
  for (const v of values) {
    if (v === null || v === undefined) continue
    if (typeof v === 'number') { kind ??= 'number'; n += v }
    else if (typeof v === 'bigint') { kind ??= 'bigint'; b += v }
    else if (typeof v === 'string') {
      kind ??= 'decimal'
      const [u, s] = parseDec(v)
      if (s > scale) { d *= 10n ** BigInt(s - scale); scale = s }
      d += u * 10n ** BigInt(scale - s)
    }
  }
  if (kind === undefined) return null
  return kind === 'number' ? n : kind === 'bigint' ? b : fmtDec(d, scale)
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'string' && typeof b === 'string' && /^-?\d+(\.\d+)?$/.test(a) && /^-?\d+(\.\d+)?$/.test(b)) return Number(a) - Number(b)
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime()
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0
}

function aggregate(rows: Row[], agg: Agg): unknown {
  const sel = 'where' in agg && agg.where ? rows.filter(agg.where) : rows
  if (agg.fn === 'count') return BigInt(sel.length)
  const vals = sel.map((r) => r[agg.column]).filter((v) => v !== null && v !== undefined)
  switch (agg.fn) {
    case 'sum': return vals.length ? sumValues(vals) : null
    case 'min': return vals.length ? vals.reduce((a, b) => (compare(b, a) < 0 ? b : a)) : null
    case 'max': return vals.length ? vals.reduce((a, b) => (compare(b, a) > 0 ? b : a)) : null
    case 'avg': return vals.length ? vals.reduce((a: number, v) => a + Number(v), 0) / vals.length : null
    case 'countDistinct': return BigInt(new Set(vals.map((v) => keyOf({ v }, ['v']))).size)
  }
}

/**
 * GROUP BY `keys` with named aggregates; groups in order of first appearance.
 * @example
 * groupBy(rows, ['country'], { orders: { fn: 'count' }, revenue: { fn: 'sum', column: 'amount' } })
 */
export function groupBy(rows: readonly Row[], keys: string[], aggs: Record<string, Agg>): Row[] {
  const groups = new Map<string, Row[]>()
  for (const r of rows) {
    const k = keyOf(r, keys)
    let g = groups.get(k)
    if (!g) groups.set(k, g = [])
    g.push(r)
  }
  const out: Row[] = []
  for (const g of groups.values()) {
    const row: Row = Object.fromEntries(keys.map((k) => [k, g[0][k]]))
    for (const [name, agg] of Object.entries(aggs)) row[name] = aggregate(g, agg)
    out.push(row)
  }
  return out
}

/**
 * Hash join on equal key columns; `left` keeps unmatched left rows with the right columns null.
 * @example
 * const enriched = joinRows(await orders.toRows(), await clients.toRows(), ['client_id'], 'left')
 */
export function joinRows(left: readonly Row[], right: readonly Row[], on: string[], how: 'inner' | 'left' = 'inner'): Row[] {
  const index = new Map<string, Row[]>()
  const rightCols = new Set<string>()
  for (const r of right) {
    for (const c of Object.keys(r)) rightCols.add(c)
    const k = keyOf(r, on)
    let g = index.get(k)
    if (!g) index.set(k, g = [])
    g.push(r)
  }
  const out: Row[] = []
  for (const l of left) {
    const m = index.get(keyOf(l, on))
    if (m) for (const r of m) out.push({ ...r, ...l })
    else if (how === 'left') out.push({ ...Object.fromEntries([...rightCols].map((c) => [c, null])), ...l })
  }
  return out
}

/**
 * Sort rows by columns (ascending; prefix a name with '-' for descending).
 * @example
 * const top = orderBy(rows, ['-revenue', 'name']).slice(0, 10)
 */
export function orderBy(rows: readonly Row[], columns: string[]): Row[] {
  return [...rows].sort((a, b) => {
    for (const c of columns) {
      const desc = c.startsWith('-')
      const name = desc ? c.slice(1) : c
      const x = compare(a[name], b[name])
      if (x) return desc ? -x : x
    }
    return 0
  })
}

/**
 * Rebuild a gold table with one overwrite, idempotently: the txn version is the sum of the input
 * tables' versions, which grows exactly when an input changed, so a rerun on unchanged inputs (or
 * the replay of a crashed run) writes nothing.
 * @example
 * await rebuild(gold, { orders: orders.version }, async () => groupBy(await orders.toRows(), ['day'], { n: { fn: 'count' } }))
 */
export async function rebuild(table: DeltaTable, inputs: Record<string, number>, compute: () => Promise<Row[]> | Row[], options: { appId?: string } = {}): Promise<WriteResult & { skipped: boolean }> {
  checkOptions('rebuild', options, ['appId'], { table: table.url })
  const appId = options.appId ?? `rebuild:${Object.keys(inputs).sort().join('+')}`
  const version = Object.values(inputs).reduce((a, b) => a + b, 0)
  if ((table.txns.get(appId) ?? -1) >= version) return { version: table.version, metrics: {}, skipped: true }
  const r = await table.overwrite(await compute(), { txn: { appId, version } })
  return { ...r, skipped: false }
}

/**
 * Merge computed rows into a gold table by key (upsert), for aggregates maintained incrementally.
 * @example
 * await mergeByKey(gold, groupBy(await silver.toRows(), ['day'], { orders: { fn: 'count' } }), ['day'])
 */
export async function mergeByKey(table: DeltaTable, rows: readonly Row[], keys: string[], txn?: { appId: string; version: number }): Promise<WriteResult & { skipped: boolean }> {
  if (txn && (table.txns.get(txn.appId) ?? -1) >= txn.version) return { version: table.version, metrics: {}, skipped: true }
  // the MERGE builder, not CDC mode: a gold column named like an op column is just data here
  const r = await table.merge(rows as Record<string, unknown>[], { on: keys, ...(txn ? { txn } : {}) }).whenMatchedUpdateAll().whenNotMatchedInsertAll().execute()
  return { ...r, skipped: false }
}
