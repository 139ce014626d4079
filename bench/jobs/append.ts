// Issues 4 and 17's append job: 1,000,000 rows × 6 columns appended to a fresh table, as plain objects
// and as an Arrow table, beside hyparquet-writer with its defaults (same columns, one buffer, no Delta
// log) and DuckDB `COPY … TO parquet` from a table already in DuckDB. Every run writes a fresh table or
// file, read back after the run (untimed) and checked by the checksum of its rows against the
// generator's. `--baseline DIR` adds DIR's lagomago (its src/, run the same way) beside this one.
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { makeData, makeVector, Table, TimestampMicrosecond, Utf8, vectorFromArray, Field, Schema, Int64, Int32, Float64, RecordBatch, Struct } from 'apache-arrow'
import { parquetReadObjects } from 'hyparquet'
import { parquetWriteBuffer } from 'hyparquet-writer'
import { DeltaTable } from '../../src/table/delta-table.js'
import { BENCH_SCHEMA, benchColumns, benchRows, type BenchColumns } from '../data.js'
import { checksumColumns, duckdbChecksum, expectChecksum, lagomagoChecksum, type Checksum } from '../checksum.js'
import type { Job } from '../harness.js'

interface Ctx {
  n: number; cols: BenchColumns; rows?: Array<Record<string, unknown>>; arrow?: Table; dir: string; runNo: number; peer?: any
  /** Where the run wrote, and what its rows must add up to. */
  path: string; expected: Checksum
}

function arrowTable(c: BenchColumns): Table {
  const fields = [
    new Field('id', new Int64(), false), new Field('qty', new Int32()), new Field('price', new Float64()),
    new Field('category', new Utf8()), new Field('ts', new TimestampMicrosecond('UTC')), new Field('note', new Utf8()),
  ]
  const children = [
    makeVector(c.id).data[0], makeVector(c.qty).data[0], makeVector(c.price).data[0],
    vectorFromArray(c.category, new Utf8()).data[0],
    makeData({ type: new TimestampMicrosecond('UTC'), length: c.length, data: c.ts }),
    vectorFromArray(c.note, new Utf8()).data[0],
  ]
  const struct = makeData({ type: new Struct(fields), length: c.length, children, nullCount: 0 })
  return new Table([new RecordBatch(new Schema(fields), struct)])
}

/** `--baseline DIR`: another checkout's DeltaTable, loaded from its src/ like ours (tsx). */
const baseline = process.env.BENCH_BASELINE
async function baselineTable(): Promise<typeof DeltaTable> {
  return (await import(join(baseline!, 'src', 'table', 'delta-table.ts'))).DeltaTable
}

const fresh = (ctx: Ctx) => (ctx.path = join(ctx.dir, `run-${ctx.runNo++}`))
const checkTable = (who: string) => async (_: unknown, ctx: Ctx) => expectChecksum(who, await lagomagoChecksum(ctx.path), ctx.expected)

export const append1m: Job<Ctx> = {
  name: 'append-1m',
  description: 'Append 1,000,000 rows × 6 columns (int64 id, int32, double, 5-value string, timestamp, ~20-char string) to a fresh unpartitioned table (one commit, stats, snappy). Peers write the same columns to one Parquet file. ' +
    'Inside the timing: lagomago `append()` of input already in memory (plain objects or an Arrow table), i.e. conversion, Parquet encoding and compression, file stats, the file write and the commit; ' +
    'DuckDB `COPY t TO file (FORMAT parquet, COMPRESSION snappy)` of a table already in its memory (its own threads, 2 here), i.e. encoding, compression and the file write; hyparquet-writer `parquetWriteBuffer` of the columns (no file). ' +
    'Outside for all: building the input, creating the empty table, loading DuckDB\'s table, the read-back check. `--quick`: 100,000 rows.',
  goal: '≤ 3× DuckDB COPY TO parquet (issue 17); ≤ 0.4× hyparquet-writer (issue 4)',
  async setup({ quick, dataDir }) {
    const n = quick ? 100_000 : 1_000_000
    const dir = join(dataDir, `append-work-${process.pid}`)
    rmSync(dir, { recursive: true, force: true })
    const cols = benchColumns(n)
    return { n, cols, dir, runNo: 0, path: '', expected: checksumColumns(n, cols.id, cols.qty, cols.price, cols.category) }
  },
  async teardown(ctx) { rmSync(ctx.dir, { recursive: true, force: true }) },
  contenders: [
    {
      name: 'lagomago append (Arrow table)',
      async prepare(ctx) { ctx.arrow = arrowTable(ctx.cols) },
      async beforeEach(ctx) { ctx.peer = await DeltaTable.create(fresh(ctx), { schema: BENCH_SCHEMA }) },
      run: async (ctx) => (await ctx.peer.append(ctx.arrow)).metrics,
      check: checkTable('lagomago append (Arrow)'),
    },
    {
      name: 'lagomago append (plain objects)',
      async prepare(ctx) { ctx.rows = benchRows(ctx.cols) },
      async beforeEach(ctx) { ctx.peer = await DeltaTable.create(fresh(ctx), { schema: BENCH_SCHEMA }) },
      run: async (ctx) => (await ctx.peer.append(ctx.rows)).metrics,
      check: checkTable('lagomago append (plain objects)'),
    },
    ...(baseline ? [
      {
        name: `lagomago baseline (${baseline}) append (Arrow table)`,
        async prepare(ctx: Ctx) { ctx.arrow = arrowTable(ctx.cols) },
        async beforeEach(ctx: Ctx) { ctx.peer = await (await baselineTable()).create(fresh(ctx), { schema: BENCH_SCHEMA }) },
        run: async (ctx: Ctx) => (await ctx.peer.append(ctx.arrow)).metrics,
        check: checkTable('lagomago baseline append (Arrow)'),
      },
      {
        name: 'lagomago baseline append (plain objects)',
        async prepare(ctx: Ctx) { ctx.rows = benchRows(ctx.cols) },
        async beforeEach(ctx: Ctx) { ctx.peer = await (await baselineTable()).create(fresh(ctx), { schema: BENCH_SCHEMA }) },
        run: async (ctx: Ctx) => (await ctx.peer.append(ctx.rows)).metrics,
        check: checkTable('lagomago baseline append (plain objects)'),
      },
    ] : []),
    {
      name: 'hyparquet-writer parquetWriteBuffer (defaults)',
      async prepare(ctx) { ctx.peer = Array.from(ctx.cols.ts, (v) => new Date(Number(v / 1000n))) },
      run: async (ctx) => parquetWriteBuffer({ columnData: [
        { name: 'id', data: ctx.cols.id }, { name: 'qty', data: ctx.cols.qty }, { name: 'price', data: ctx.cols.price },
        { name: 'category', data: ctx.cols.category }, { name: 'ts', data: ctx.peer }, { name: 'note', data: ctx.cols.note },
      ] }),
      async check(buffer, ctx) {
        const rows = await parquetReadObjects({ file: buffer as ArrayBuffer, columns: ['id', 'qty', 'price', 'category'] })
        expectChecksum('hyparquet-writer', checksumColumns(rows.length, rows.map((r) => r.id), rows.map((r) => r.qty), rows.map((r) => r.price), rows.map((r) => r.category)), ctx.expected)
      },
    },
    {
      name: 'DuckDB COPY TO parquet',
      available: async () => import('@duckdb/node-api').then(() => true, () => false),
      async prepare(ctx) {
        const { DuckDBInstance } = await import('@duckdb/node-api')
        const conn = await (await DuckDBInstance.create(':memory:')).connect()
        // Load the same rows through a Parquet file lagomago wrote (untimed).
        const t = await DeltaTable.create(join(ctx.dir, 'duck-src'), { schema: BENCH_SCHEMA })
        await t.append(arrowTable(ctx.cols))
        const files = (await t.files()).map((f) => `'${join(ctx.dir, 'duck-src', f.path)}'`).join(',')
        await conn.run(`CREATE TABLE t AS SELECT * FROM read_parquet([${files}])`)
        ctx.peer = conn
      },
      run: async (ctx) => {
        const out = join(ctx.dir, `duck-${ctx.runNo++}.parquet`)
        await ctx.peer.run(`COPY t TO '${out}' (FORMAT parquet, COMPRESSION snappy)`)
        return out
      },
      check: async (out, ctx) => expectChecksum('DuckDB', await duckdbChecksum(ctx.peer, `read_parquet('${out as string}')`), ctx.expected),
    },
  ],
}
