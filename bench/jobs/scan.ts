// Issue 3's scan jobs: a full scan of 1,000,000 rows × 6 columns into Arrow beside raw hyparquet
// decoding the same files, and a filtered aggregate over a 10% id range beside DuckDB reading the same
// Parquet files. The table is written once by lagomago (4 appends → 4 files) and cached.
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parquetRead } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'
import { LocalStore } from '../../src/storage/local-store.js'
import { asyncBufferFor } from '../../src/storage/async-buffer.js'
import { DeltaTable } from '../../src/table/delta-table.js'
import { BENCH_SCHEMA, benchColumns, benchRows } from '../data.js'
import type { Job } from '../harness.js'

export interface TableCtx { dir: string; rows: number; table: DeltaTable; files: string[] }

const PARTS = 4

/** The standard bench table at `<dataDir>/std-<rows>` (built once, reused by scan and merge jobs). */
export async function standardTable(dataDir: string, rows: number): Promise<TableCtx> {
  const dir = join(dataDir, `std-${rows}`)
  if (!existsSync(join(dir, 'READY'))) {
    const t = await DeltaTable.create(dir, { schema: BENCH_SCHEMA, ifExists: 'overwrite' })
    const per = rows / PARTS
    for (let p = 0; p < PARTS; p++) await t.append(benchRows(benchColumns(per, 42, p * per)))
    writeFileSync(join(dir, 'READY'), '')
  }
  const table = await DeltaTable.open(dir)
  const files = (await table.files()).map((f) => f.path)
  return { dir, rows, table, files }
}

const size = (quick: boolean) => (quick ? 100_000 : 1_000_000)

export const scanFull: Job<TableCtx> = {
  name: 'scan-full',
  description: 'Full scan of 1,000,000 rows × 6 columns (int64 id, int32, double, 5-value string, timestamp, ~20-char string; 4 snappy files) into memory. `--quick`: 100,000 rows.',
  goal: '≤ 1.2× raw hyparquet',
  setup: ({ quick, dataDir }) => standardTable(dataDir, size(quick)),
  contenders: [
    {
      name: 'lagomago toArrow',
      run: async (ctx) => (await ctx.table.toArrow()).numRows,
      check: (n, ctx) => { if (n !== ctx.rows) throw new Error(`${n} rows, expected ${ctx.rows}`) },
    },
    {
      // Bounded memory: one RecordBatch held at a time (compare the peak RSS with toArrow's).
      name: 'lagomago scan() batches, one held at a time',
      run: async (ctx) => {
        let n = 0
        for await (const batch of ctx.table.scan()) n += batch.numRows
        return n
      },
      check: (n, ctx) => { if (n !== ctx.rows) throw new Error(`${n} rows, expected ${ctx.rows}`) },
    },
    {
      name: 'raw hyparquet parquetRead (rows as arrays)',
      run: async (ctx) => {
        const store = new LocalStore(ctx.dir)
        let n = 0
        for (const f of ctx.files) {
          const file = await asyncBufferFor(store, f)
          await parquetRead({ file, compressors, onComplete: (rows) => { n += rows.length } })
        }
        return n
      },
      check: (n, ctx) => { if (n !== ctx.rows) throw new Error(`${n} rows, expected ${ctx.rows}`) },
    },
    {
      // The fairest "raw decoding" figure: every column chunk decoded, no row assembly at all.
      name: 'raw hyparquet parquetRead (column chunks only)',
      run: async (ctx) => {
        const store = new LocalStore(ctx.dir)
        let n = 0
        for (const f of ctx.files) {
          const file = await asyncBufferFor(store, f)
          await parquetRead({ file, compressors, onChunk: (c) => { if (c.columnName === 'id') n += c.rowEnd - c.rowStart } })
        }
        return n
      },
      check: (n, ctx) => { if (n !== ctx.rows) throw new Error(`${n} rows, expected ${ctx.rows}`) },
    },
  ],
}

const range = (rows: number) => ({ lo: Math.floor(rows * 0.45), hi: Math.floor(rows * 0.55) })

function expectedSum(rows: number): number {
  const { lo, hi } = range(rows)
  const per = rows / PARTS
  let sum = 0
  for (let p = 0; p < PARTS; p++) {
    const c = benchColumns(per, 42, p * per)
    for (let i = 0; i < per; i++) if (p * per + i >= lo && p * per + i < hi) sum += c.price[i]
  }
  return sum
}

interface AggCtx extends TableCtx { expected: number }
const near = (a: unknown, b: number) => typeof a === 'number' && Math.abs(a - b) <= 1e-6 * Math.abs(b)

export const scanFilteredAggregate: Job<AggCtx> = {
  name: 'scan-filtered-sum',
  description: 'sum(price) where id in a 10% range of the same table: lagomago scan with a filter (stats and row-group skipping) beside DuckDB read_parquet over the same files.',
  goal: '≤ 2× DuckDB',
  async setup({ quick, dataDir }) {
    const ctx = await standardTable(dataDir, size(quick))
    return { ...ctx, expected: expectedSum(ctx.rows) }
  },
  contenders: [
    {
      name: 'lagomago scan(filter) + sum',
      run: async (ctx) => {
        const { lo, hi } = range(ctx.rows)
        let sum = 0
        for await (const batch of ctx.table.scan({ columns: ['price'], filter: `id >= ${lo} AND id < ${hi}` })) {
          const v = batch.getChild('price')!
          for (let i = 0; i < v.length; i++) sum += v.get(i) as number
        }
        return sum
      },
      check: (s, ctx) => { if (!near(s, ctx.expected)) throw new Error(`sum ${s}, expected ${ctx.expected}`) },
    },
    {
      name: 'DuckDB read_parquet + sum',
      available: async () => import('@duckdb/node-api').then(() => true, () => false),
      run: async (ctx) => {
        const { DuckDBInstance } = await import('@duckdb/node-api')
        const db = await DuckDBInstance.create(':memory:')
        const conn = await db.connect()
        const { lo, hi } = range(ctx.rows)
        const list = ctx.files.map((f) => `'${join(ctx.dir, f)}'`).join(',')
        const r = await conn.runAndReadAll(`SELECT sum(price) FROM read_parquet([${list}]) WHERE id >= ${lo} AND id < ${hi}`)
        const out = Number(r.getRows()[0][0])
        conn.closeSync()
        return out
      },
      check: (s, ctx) => { if (!near(s, ctx.expected)) throw new Error(`sum ${s}, expected ${ctx.expected}`) },
    },
  ],
}
