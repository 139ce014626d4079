// The one deterministic data generator every bench job shares: a seeded PRNG and the 6-column rows
// the issues name (int64 id, int32, double, 5-value string, timestamp, ~20-char string).

/** mulberry32, the project's one seeded PRNG (the demo generator's): same seed → same data. */
export { rng as prng } from '../src/medallion/demo/generator.js'
import { rng as prng } from '../src/medallion/demo/generator.js'

export const CATEGORIES = ['alpha', 'bravo', 'charlie', 'delta', 'echo'] as const
const WORDS = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor'.split(' ')

/** Columns of the standard bench table, as plain typed arrays (cheap to build, easy to convert). */
export interface BenchColumns {
  length: number
  id: BigInt64Array
  qty: Int32Array
  price: Float64Array
  category: string[]
  /** Microseconds since epoch. */
  ts: BigInt64Array
  note: string[]
}

export const BENCH_SCHEMA = {
  type: 'struct' as const,
  fields: [
    { name: 'id', type: 'long' as const, nullable: false, metadata: {} },
    { name: 'qty', type: 'integer' as const, nullable: true, metadata: {} },
    { name: 'price', type: 'double' as const, nullable: true, metadata: {} },
    { name: 'category', type: 'string' as const, nullable: true, metadata: {} },
    { name: 'ts', type: 'timestamp' as const, nullable: true, metadata: {} },
    { name: 'note', type: 'string' as const, nullable: true, metadata: {} },
  ],
}

/** Rows `start … start+n-1` of the standard table; ids are dense so range filters have known answers. */
export function benchColumns(n: number, seed = 42, start = 0): BenchColumns {
  const rand = prng(seed + start)
  const id = new BigInt64Array(n)
  const qty = new Int32Array(n)
  const price = new Float64Array(n)
  const category: string[] = new Array(n)
  const ts = new BigInt64Array(n)
  const note: string[] = new Array(n)
  const t0 = 1_767_225_600_000_000n // 2026-01-01T00:00:00Z in µs
  for (let i = 0; i < n; i++) {
    id[i] = BigInt(start + i)
    qty[i] = Math.floor(rand() * 1000)
    price[i] = Math.round(rand() * 1_000_000) / 100
    category[i] = CATEGORIES[Math.floor(rand() * CATEGORIES.length)]
    ts[i] = t0 + BigInt(Math.floor(rand() * 365 * 86_400)) * 1_000_000n
    note[i] = `${WORDS[Math.floor(rand() * WORDS.length)]}-${WORDS[Math.floor(rand() * WORDS.length)]}-${(start + i).toString(36).padStart(6, '0')}`.slice(0, 20)
  }
  return { length: n, id, qty, price, category, ts, note }
}

/** The same rows as plain objects (the shape `append` accepts). */
export function benchRows(cols: BenchColumns): Array<Record<string, unknown>> {
  const rows = new Array(cols.length)
  for (let i = 0; i < cols.length; i++) {
    rows[i] = {
      id: cols.id[i],
      qty: cols.qty[i],
      price: cols.price[i],
      category: cols.category[i],
      ts: new Date(Number(cols.ts[i] / 1000n)),
      note: cols.note[i],
    }
  }
  return rows
}
