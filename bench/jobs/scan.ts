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
import { addChecksums, checksumArrow, checksumColumns, expectChecksum, TableModel, type Checksum } from '../checksum.js'
import type { Job } from '../harness.js'

export interface TableCtx { dir: string; rows: number; table: DeltaTable; files: string[] }
interface FullCtx extends TableCtx { expected: Checksum }

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

type Chunk = { columnName: string; columnData: ArrayLike<unknown>; rowStart: number }

/** Checksum of hyparquet column chunks (held by the run; assembled here, untimed). */
function checksumChunks(files: Chunk[][]): Checksum {
  return addChecksums(files.map((chunks) => {
    const n = chunks.filter((c) => c.columnName === 'id').reduce((a, c) => a + c.columnData.length, 0)
    const col = (name: string) => {
      const out = new Array<unknown>(n)
      for (const c of chunks) if (c.columnName === name) for (let i = 0; i < c.columnData.length; i++) out[c.rowStart + i] = c.columnData[i]
      return out
    }
    return checksumColumns(n, col('id') as bigint[], col('qty') as number[], col('price') as number[], col('category') as string[])
  }))
}

const checkFull = (who: string) => (answer: unknown, ctx: FullCtx) => expectChecksum(who, answer as Checksum, ctx.expected)

export const scanFull: Job<FullCtx> = {
  name: 'scan-full',
  description: 'Full scan of 1,000,000 rows × 6 columns (int64 id, int32, double, 5-value string, timestamp, ~20-char string; 4 snappy files) into memory. `--quick`: 100,000 rows.',
  goal: '≤ 0.8× raw hyparquet decoding column chunks',
  async setup({ quick, dataDir }) {
    const ctx = await standardTable(dataDir, size(quick))
    return { ...ctx, expected: TableModel.standard(ctx.rows).checksum() }
  },
  // Each answer is checked by the checksum of its rows (untimed, from what the run returns), except
  // scan(), which holds one batch at a time: its run sums the checksum batch by batch (in its time).
  contenders: [
    {
      name: 'lagomago toArrow',
      run: async (ctx) => ctx.table.toArrow(),
      check: (t, ctx) => checkFull('lagomago toArrow')(checksumArrow((t as { batches: Parameters<typeof checksumArrow>[0] }).batches), ctx),
    },
    {
      // Bounded memory: one RecordBatch held at a time (compare the peak RSS with toArrow's).
      name: 'lagomago scan() batches, one held at a time (checksum in the loop)',
      run: async (ctx) => {
        const parts: Checksum[] = []
        for await (const batch of ctx.table.scan()) parts.push(checksumArrow([batch]))
        return addChecksums(parts)
      },
      check: checkFull('lagomago scan()'),
    },
    {
      name: 'raw hyparquet parquetRead (rows as arrays)',
      run: async (ctx) => {
        const store = new LocalStore(ctx.dir)
        const out: unknown[][][] = []
        for (const f of ctx.files) {
          const file = await asyncBufferFor(store, f)
          await parquetRead({ file, compressors, onComplete: (rows) => { out.push(rows as unknown[][]) } })
        }
        return out
      },
      // columns in file order: id, qty, price, category, ts, note
      check: (files, ctx) => checkFull('hyparquet rows')(addChecksums((files as unknown[][][]).map((rows) => checksumColumns(rows.length,
        rows.map((r) => r[0] as bigint), rows.map((r) => r[1] as number), rows.map((r) => r[2] as number), rows.map((r) => r[3] as string)))), ctx),
    },
    {
      // The fairest "raw decoding" figure: every column chunk decoded, no row assembly at all.
      name: 'raw hyparquet parquetRead (column chunks only)',
      run: async (ctx) => {
        const store = new LocalStore(ctx.dir)
        const files: Chunk[][] = []
        for (const f of ctx.files) {
          const file = await asyncBufferFor(store, f)
          const chunks: Chunk[] = []
          await parquetRead({ file, compressors, onChunk: (c) => { chunks.push(c) } })
          files.push(chunks)
        }
        return files
      },
      check: (files, ctx) => checkFull('hyparquet chunks')(checksumChunks(files as Chunk[][]), ctx),
    },
  ],
}

const range = (rows: number) => ({ lo: Math.floor(rows * 0.45), hi: Math.floor(rows * 0.55) })
/** The one status (category) the filtered sum keeps. */
const STATUS = 'bravo'

function expectedSum(rows: number): number {
  const { lo, hi } = range(rows)
  const per = rows / PARTS
  let sum = 0
  for (let p = 0; p < PARTS; p++) {
    const c = benchColumns(per, 42, p * per)
    for (let i = 0; i < per; i++) if (p * per + i >= lo && p * per + i < hi && c.category[i] === STATUS) sum += c.price[i]
  }
  return sum
}

interface AggCtx extends TableCtx { expected: number }
const near = (a: unknown, b: number) => typeof a === 'number' && Math.abs(a - b) <= 1e-6 * Math.abs(b)

export const scanFilteredAggregate: Job<AggCtx> = {
  name: 'scan-filtered-sum',
  description: "sum(price) where id in a 10% range and category = 'bravo', from an already running process: lagomago opens the table and scans with the filter (stats and row-group skipping), open inside the timing; DuckDB creates an in-memory instance and runs read_parquet over the same files, inside the timing. Checked: the sum against the generator's.",
  goal: '≤ 2× DuckDB',
  async setup({ quick, dataDir }) {
    const ctx = await standardTable(dataDir, size(quick))
    return { ...ctx, expected: expectedSum(ctx.rows) }
  },
  contenders: [
    {
      name: 'lagomago open + scan(filter) + sum',
      run: async (ctx) => {
        const { lo, hi } = range(ctx.rows)
        let sum = 0
        const table = await DeltaTable.open(ctx.dir)
        for await (const batch of table.scan({ columns: ['price'], filter: `id >= ${lo} AND id < ${hi} AND category = '${STATUS}'` })) {
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
        const r = await conn.runAndReadAll(`SELECT sum(price) FROM read_parquet([${list}]) WHERE id >= ${lo} AND id < ${hi} AND category = '${STATUS}'`)
        const out = Number(r.getRows()[0][0])
        conn.closeSync()
        return out
      },
      check: (s, ctx) => { if (!near(s, ctx.expected)) throw new Error(`sum ${s}, expected ${ctx.expected}`) },
    },
  ],
}
