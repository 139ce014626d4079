// Issue 6's merge jobs: `table.merge(cdcBatch)` on the standard 1,000,000-row × 6-column table with
// CDC batches of 1,000 and 100,000 changes (70% updates of live ids, 20% inserts of new ids, 10%
// deletes). Each run applies the next batch of a seeded sequence (generated untimed) to a private copy of the
// table (deletion vectors on, the default), so every run is a real, different CDC step; every run is
// checked by value: the checksum of each contender's table against the model of the batches applied
// (bench/checksum.ts), and lagomago's commit metrics.
import { cpSync, existsSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DeltaTable } from '../../src/table/delta-table.js'
import { benchColumns, benchRows, prng } from '../data.js'
import { duckdbChecksum, expectChecksum, lagomagoChecksum, lanceChecksum, TableModel, type Checksum } from '../checksum.js'
import type { Job } from '../harness.js'
import { standardTable } from './scan.js'

/** Generates CDC batches in order, so deletes and updates always hit live ids. */
export class CdcStream {
  private readonly deleted = new Set<number>()
  private nextId: number
  private b = 0
  live: number
  constructor(private readonly rows: number, readonly size: number) { this.nextId = rows; this.live = rows }

  next(): { rows: Array<Record<string, unknown>>; liveAfter: number } {
    const rand = prng(7_000 + this.b)
    const used = new Set<number>()
    const pick = (): number => {
      for (;;) {
        const id = Math.floor(rand() * this.rows)
        if (!used.has(id) && !this.deleted.has(id)) { used.add(id); return id }
      }
    }
    const size = this.size
    const payload = benchRows(benchColumns(size, 99 + this.b++, 0))
    const batch: Array<Record<string, unknown>> = new Array(size)
    const nUpd = Math.round(size * 0.7)
    const nIns = Math.round(size * 0.2)
    for (let i = 0; i < size; i++) {
      const r = payload[i]
      if (i < nUpd) batch[i] = { ...r, op: 'U', id: BigInt(pick()) }
      else if (i < nUpd + nIns) batch[i] = { ...r, op: 'I', id: BigInt(this.nextId++) }
      else { const id = pick(); this.deleted.add(id); batch[i] = { op: 'D', id: BigInt(id) } }
    }
    this.live += nIns - (size - nUpd - nIns)
    return { rows: batch, liveAfter: this.live }
  }
}

// The next batch is generated in `check` (not timed), so runs measure the merge alone and only one
// batch is in memory at a time.
interface Ctx {
  dir: string; table: DeltaTable; stream: CdcStream; batch: { rows: Array<Record<string, unknown>>; liveAfter: number }
  applied: number; expected: number; rows: number; files: string[]
  /** The table as the generator says it is after the batches applied so far. */
  model: TableModel
  /** A peer's own state (DuckDB connection, LanceDB table). */
  peer?: any
}

const COLUMNS = ['id', 'qty', 'price', 'category', 'ts', 'note'] as const

/** LanceDB 0.31 needs apache-arrow <= 18.1, so it lives in the bench-only package bench/peers. */
const peersDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'peers')
const peerRequire = createRequire(join(peersDir, 'package.json'))
const tsMicros = (v: unknown) => (v instanceof Date ? BigInt(v.getTime()) * 1000n : BigInt(v as number))

/** After a run: the contender's table must hold exactly the model's rows; then stage the next batch. */
function advance(ctx: Ctx, who: string, got: Checksum): void {
  ctx.model.apply(ctx.batch.rows)
  expectChecksum(who, got, ctx.model.checksum())
  ctx.batch = ctx.stream.next()
  forcedGc()
}

/**
 * No forced GC between samples unless BENCH_FORCED_GC=1: a forced full GC makes V8 throw away
 * optimised code that depends on objects it collects, so every sample started half cold (all three
 * contenders were slower with it, lagomago 1.9×); a process merging batch after batch never forces
 * one. The garbage of the checks is then collected whenever V8 decides, inside any contender's samples.
 */
function forcedGc(): void {
  if (process.env.BENCH_FORCED_GC === '1') (globalThis as { gc?: () => void }).gc?.()
}

const duckdbPeer: Job<Ctx>['contenders'][number] = {
  name: 'DuckDB MERGE INTO',
  available: async () => import('@duckdb/node-api').then(() => true, () => false),
  async prepare(ctx) {
    const { DuckDBInstance } = await import('@duckdb/node-api')
    const conn = await (await DuckDBInstance.create(':memory:')).connect()
    const list = ctx.files.map((f) => `'${join(ctx.dir, f)}'`).join(',')
    await conn.run(`CREATE TABLE t AS SELECT * FROM read_parquet([${list}])`)
    ctx.peer = conn
  },
  async beforeEach(ctx) {
    const conn = ctx.peer
    const { DuckDBTimestampValue } = await import('@duckdb/node-api')
    await conn.run('CREATE OR REPLACE TABLE src (op VARCHAR, id BIGINT, qty INTEGER, price DOUBLE, category VARCHAR, ts TIMESTAMP, note VARCHAR)')
    const app = await conn.createAppender('src')
    for (const r of ctx.batch.rows) {
      app.appendVarchar(r.op as string)
      app.appendBigInt(r.id as bigint)
      if (r.op === 'D') { for (let i = 0; i < 5; i++) app.appendNull() } else {
        app.appendInteger(r.qty as number); app.appendDouble(r.price as number); app.appendVarchar(r.category as string)
        app.appendTimestamp(new DuckDBTimestampValue(tsMicros(r.ts))); app.appendVarchar(r.note as string)
      }
      app.endRow()
    }
    app.closeSync()
  },
  run: async (ctx) => {
    const set = COLUMNS.filter((c) => c !== 'id').map((c) => `${c} = src.${c}`).join(', ')
    await ctx.peer.run(`MERGE INTO t USING src ON t.id = src.id
      WHEN MATCHED AND src.op = 'D' THEN DELETE
      WHEN MATCHED THEN UPDATE SET ${set}
      WHEN NOT MATCHED AND src.op <> 'D' THEN INSERT (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((c) => `src.${c}`).join(', ')})`)
  },
  check: async (_, ctx) => advance(ctx, 'DuckDB', await duckdbChecksum(ctx.peer)),
}

const lancePeer: Job<Ctx>['contenders'][number] = {
  name: 'LanceDB 0.31 mergeInsert (BTREE on id) + delete',
  available: async () => existsSync(join(peersDir, 'node_modules', '@lancedb', 'lancedb')),
  async prepare(ctx) {
    const lancedb = peerRequire('@lancedb/lancedb')
    const arrow = peerRequire('apache-arrow')
    const dir = `${ctx.dir}-lance`
    rmSync(dir, { recursive: true, force: true })
    const db = await lancedb.connect(dir)
    const per = ctx.rows / 4
    let table: any
    for (let p = 0; p < 4; p++) {
      const c = benchColumns(per, 42, p * per)
      const data = arrow.tableFromArrays({ id: c.id, qty: c.qty, price: c.price, ts: c.ts })
      const withStrings = data.assign(new arrow.Table({
        category: arrow.vectorFromArray(c.category, new arrow.Utf8()),
        note: arrow.vectorFromArray(c.note, new arrow.Utf8()),
      }))
      if (p === 0) table = await db.createTable('t', withStrings)
      else await table.add(withStrings)
    }
    await table.createIndex('id', { config: lancedb.Index.btree() })
    ctx.peer = { table, arrow, dir }
  },
  run: async (ctx) => {
    const { table, arrow } = ctx.peer
    const upserts = ctx.batch.rows.filter((r) => r.op !== 'D')
    const deletes = ctx.batch.rows.filter((r) => r.op === 'D').map((r) => r.id as bigint)
    const batch = arrow.tableFromArrays({
      id: BigInt64Array.from(upserts, (r) => r.id as bigint),
      qty: Int32Array.from(upserts, (r) => r.qty as number),
      price: Float64Array.from(upserts, (r) => r.price as number),
      ts: BigInt64Array.from(upserts, (r) => tsMicros(r.ts)),
    }).assign(new arrow.Table({
      category: arrow.vectorFromArray(upserts.map((r) => r.category), new arrow.Utf8()),
      note: arrow.vectorFromArray(upserts.map((r) => r.note), new arrow.Utf8()),
    }))
    await table.mergeInsert('id').whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(batch)
    if (deletes.length) await table.delete(`id IN (${deletes.join(',')})`)
  },
  check: async (_, ctx) => advance(ctx, 'LanceDB', await lanceChecksum(ctx.peer.table)),
}

function mergeJob(size: number): Job<Ctx> {
  return {
    name: `merge-cdc-${size >= 1000 ? `${size / 1000}k` : size}`,
    description: `\`await table.merge(cdcBatch)\` of ${size.toLocaleString('en')} changes (70% updates, 20% inserts, 10% deletes; op column I/U/D, key id) into the 1,000,000-row × 6-column table (4 files, deletion vectors on). \`--quick\`: 100,000-row table, batch ÷ 10.`,
    goal: '≤ 0.5× LanceDB mergeInsert',
    async setup({ quick, dataDir }) {
      const rows = quick ? 100_000 : 1_000_000
      const batchSize = quick ? Math.max(10, size / 10) : size
      const std = await standardTable(dataDir, rows)
      const dir = join(dataDir, `merge-work-${process.pid}`)
      rmSync(dir, { recursive: true, force: true })
      cpSync(std.dir, dir, { recursive: true })
      const stream = new CdcStream(rows, batchSize)
      return { dir, table: await DeltaTable.open(dir), stream, batch: stream.next(), applied: 0, expected: rows, rows, files: std.files, model: TableModel.standard(rows) }
    },
    async teardown(ctx) {
      if (ctx.peer?.dir) rmSync(ctx.peer.dir, { recursive: true, force: true })
      const n = (await ctx.table.toArrow({ columns: ['id'] })).numRows
      rmSync(ctx.dir, { recursive: true, force: true })
      if (n !== ctx.expected) throw new Error(`table has ${n} rows after ${ctx.applied} batches, expected ${ctx.expected}`)
    },
    contenders: [
      {
        name: 'lagomago table.merge(cdcBatch)',
        run: async (ctx) => (await ctx.table.merge(ctx.batch.rows, { keys: ['id'] })).metrics,
        check: async (m, ctx) => {
          const metrics = m as Record<string, number>
          const size = ctx.stream.size
          const upd = Math.round(size * 0.7)
          const ins = Math.round(size * 0.2)
          const want = { numTargetRowsUpdated: upd, numTargetRowsInserted: ins, numTargetRowsDeleted: size - upd - ins }
          for (const [k, v] of Object.entries(want)) if (metrics[k] !== v) throw new Error(`${k} = ${metrics[k]}, expected ${v}`)
          ctx.applied++
          ctx.expected = ctx.batch.liveAfter
          advance(ctx, 'lagomago', await lagomagoChecksum(ctx.dir))
        },
      },
      duckdbPeer,
      lancePeer,
    ],
  }
}

export const mergeCdc1k = mergeJob(1_000)
export const mergeCdc100k = mergeJob(100_000)
