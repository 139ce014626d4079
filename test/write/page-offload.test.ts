// Large writes compress their pages on a worker thread (src/write/compress-offload.ts, page-pool.ts,
// page-worker.ts). What a user relies on: the file is the same bytes as the in-thread writer's (the
// model here: writeFlatParquet, and the same append with the worker turned off), whichever thread
// compressed which page; DuckDB reads it; and a worker that dies mid-write fails the append with an
// EncodingFailedError and leaves the table as it was, the next append working again.
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { runJsonLinesChild } from '../json-lines-child.js'
import { DeltaTable, EncodingFailedError, MemoryStore } from '../../src/index.js'
import { compressionPool, offloadSettings } from '../../src/write/compress-offload.js'
import type { PagePool } from '../../src/write/page-pool.js'
import { writeFlatParquet, writeFlatParquetOn } from '../../src/write/parquet-flat.js'
import type { DataColumn } from '../../src/write/parquet-write.js'
import type { DataType, StructField, StructType } from '../../src/schema/types.js'
import type { DeltaValue } from '../../src/schema/values.js'

const field = (name: string, type: DataType, nullable = true): StructField => ({ name, type, nullable, metadata: {} })
const defaults = { ...offloadSettings }
afterEach(() => Object.assign(offloadSettings, defaults))

/** A seeded PRNG (mulberry32): the same columns every run. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Columns of every kind the flat writer pages differently: typed, nulls, dictionary and plain strings, booleans. */
function columns(n: number, seed = 7): DataColumn[] {
  const r = rng(seed)
  const id = new BigInt64Array(n)
  const qty = new Int32Array(n)
  const price = new Float64Array(n)
  const city: DeltaValue[] = new Array(n)
  const note: DeltaValue[] = new Array(n)
  const flag: DeltaValue[] = new Array(n)
  const maybe: DeltaValue[] = new Array(n)
  const cities = ['São Paulo', 'Lisboa', 'Zürich', '東京', '🦀 town']
  for (let i = 0; i < n; i++) {
    id[i] = BigInt(i) * 3n - 1000n
    qty[i] = Math.floor(r() * 1000)
    price[i] = Math.round(r() * 1e6) / 100
    city[i] = r() < 0.1 ? null : cities[Math.floor(r() * cities.length)]
    note[i] = r() < 0.05 ? null : `n${i.toString(36)}-${'x'.repeat(Math.floor(r() * 30))}`
    flag[i] = r() < 0.5
    maybe[i] = r() < 0.3 ? null : Math.floor(r() * 1e9) - 5e8
  }
  return [
    { field: field('id', 'long', false), values: id }, { field: field('qty', 'integer'), values: qty },
    { field: field('price', 'double'), values: price }, { field: field('city', 'string'), values: city },
    { field: field('note', 'string'), values: note }, { field: field('flag', 'boolean'), values: flag },
    { field: field('maybe', 'integer'), values: maybe },
  ]
}

const rowsOf = async (t: DeltaTable) => (await t.toArrow()).numRows

let pool: PagePool
beforeAll(async () => {
  pool = (await compressionPool(Infinity, 'SNAPPY'))!
  expect(pool, 'node:worker_threads is available in Node').toBeDefined()
  for (let i = 0; i < 200 && !pool.ready; i++) await new Promise((r) => setTimeout(r, 25))
  expect(pool.ready).toBe(true)
}, 30_000)

describe('page compression on a worker thread', () => {
  it('writes the in-thread writer\'s bytes: several pages and row groups, nulls, dictionaries', async () => {
    for (const [n, rowGroupSize] of [[1, undefined], [1000, 300], [200_000, 70_000]] as const) {
      const cols = columns(n)
      const model = writeFlatParquet(cols, n, { rowGroupSize }).slice()
      const onWorker = await writeFlatParquetOn(pool, cols, n, { rowGroupSize })
      expect(onWorker.length, `${n} rows`).toBe(model.length)
      expect(Buffer.compare(onWorker, model), `${n} rows`).toBe(0)
    }
  })

  it('writes the same bytes when the worker falls behind and this thread compresses some pages', async () => {
    // A ring too small for most pages: those are compressed here and still placed in order.
    offloadSettings.ringBytes = 1 << 20
    const small = (await import('../../src/write/page-pool.js')).startPagePool(() => offloadSettings.ringBytes)
    try {
      for (let i = 0; i < 200 && !small.ready; i++) await new Promise((r) => setTimeout(r, 25))
      const n = 300_000
      const cols = columns(n, 11)
      const model = writeFlatParquet(cols, n, { rowGroupSize: 100_000 }).slice()
      const onWorker = await writeFlatParquetOn(small, cols, n, { rowGroupSize: 100_000 })
      expect(Buffer.compare(onWorker, model)).toBe(0)
    } finally {
      await small.terminate()
    }
  })

  it('an append with the worker writes the files and stats of an append without it, which DuckDB reads', async () => {
    const n = 150_000
    const cols = columns(n, 3)
    const schema: StructType = { type: 'struct', fields: cols.map((c) => c.field) }
    const rows = Array.from({ length: n }, (_, i) => Object.fromEntries(cols.map((c) => [c.field.name, c.values[i]])))
    const write = async (enabled: boolean) => {
      Object.assign(offloadSettings, { enabled, minBytes: 0 })
      const store = new MemoryStore()
      const t = await DeltaTable.create(store, { schema })
      await t.append(rows, { targetFileSize: 3 << 20 })
      const files = await t.files()
      const bytes = await Promise.all(files.map(async (f) => (await store.get(f.path))!))
      return { files, bytes, table: t }
    }
    const inThread = await write(false)
    const onWorker = await write(true)
    expect(onWorker.files.length).toBeGreaterThan(1)
    expect(onWorker.files.map((f) => [f.size, f.stats])).toEqual(inThread.files.map((f) => [f.size, f.stats]))
    onWorker.bytes.forEach((b, i) => expect(Buffer.compare(b, inThread.bytes[i])).toBe(0))
    expect(await rowsOf(onWorker.table)).toBe(n)

    type Duck = { runAndReadAll(sql: string): Promise<{ getRows(): unknown[][] }> }
    const duck = await import('@duckdb/node-api')
      .then(async ({ DuckDBInstance }) => (await (await DuckDBInstance.create(':memory:')).connect()) as unknown as Duck, () => undefined)
    if (!duck) {
      expect.soft(duck, '@duckdb/node-api is not installed').toBeDefined()
      return
    }
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs')
    const { join } = await import('node:path')
    const { tmpdir } = await import('node:os')
    const dir = mkdtempSync(join(tmpdir(), 'offload-'))
    try {
      const paths = onWorker.bytes.map((b, i) => { const p = join(dir, `f${i}.parquet`); writeFileSync(p, b); return `'${p}'` })
      const got = (await duck.runAndReadAll(`SELECT count(*), sum(id), sum(qty), count(city), count(note), sum(CASE WHEN flag THEN 1 ELSE 0 END), sum(maybe) FROM read_parquet([${paths.join(',')}])`)).getRows()[0]
      let sumId = 0n; let sumQty = 0n; let cities = 0n; let notes = 0n; let flags = 0n; let maybe = 0n
      for (const r of rows) {
        sumId += r.id as bigint; sumQty += BigInt(r.qty as number); maybe += BigInt((r.maybe as number | null) ?? 0)
        if (r.city !== null) cities++
        if (r.note !== null) notes++
        if (r.flag) flags++
      }
      expect(got.map((v) => BigInt(v as bigint | number))).toEqual([BigInt(n), sumId, sumQty, cities, notes, flags, maybe])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('concurrent appends to several tables share the worker; each file is the in-thread writer\'s', async () => {
    const n = 120_000
    const sets = [columns(n, 21), columns(n, 22), columns(n, 23)]
    const schema: StructType = { type: 'struct', fields: sets[0].map((c) => c.field) }
    const rowsOf3 = sets.map((cols) => Array.from({ length: n }, (_, i) => Object.fromEntries(cols.map((c) => [c.field.name, c.values[i]]))))
    const write = async (enabled: boolean) => {
      Object.assign(offloadSettings, { enabled, minBytes: 0 })
      const stores = rowsOf3.map(() => new MemoryStore())
      const tables = await Promise.all(stores.map((store) => DeltaTable.create(store, { schema })))
      await Promise.all(tables.map((t, k) => t.append(rowsOf3[k], { targetFileSize: 2 << 20 })))
      return Promise.all(tables.map(async (t, k) => Promise.all((await t.files()).map(async (f) => ({ stats: f.stats, bytes: await stores[k].get(f.path) })))))
    }
    const inThread = await write(false)
    const onWorker = await write(true)
    onWorker.forEach((files, k) => {
      expect(files.length).toBe(inThread[k].length)
      files.forEach((f, i) => {
        expect(f.stats).toBe(inThread[k][i].stats)
        expect(Buffer.compare(f.bytes, inThread[k][i].bytes)).toBe(0)
      })
    })
  }, 60_000)

  it('a worker that dies mid-write fails the append with an EncodingFailedError; the table stays as it was', async () => {
    Object.assign(offloadSettings, { enabled: true, minBytes: 0 })
    const n = 400_000
    const cols = columns(n, 5)
    const schema: StructType = { type: 'struct', fields: cols.map((c) => c.field) }
    const rows = Array.from({ length: n }, (_, i) => Object.fromEntries(cols.map((c) => [c.field.name, c.values[i]])))
    const store = new MemoryStore()
    const t = await DeltaTable.create(store, { schema })
    await t.append(rows.slice(0, 10))
    const before = await t.files()
    // The worker stops (killed) after it was handed the file's pages, before it answers.
    const begin = pool.begin.bind(pool)
    let killed = 0
    pool.begin = (codec, initialSize, compressHere) => {
      const sink = begin(codec, initialSize, compressHere)
      return { ...sink, finish: async () => { killed++; await pool.terminate(); return sink.finish() } }
    }
    let err: unknown
    try {
      err = await t.append(rows).then(() => undefined, (e: unknown) => e)
    } finally {
      delete (pool as { begin?: unknown }).begin
    }
    expect(killed).toBe(1)
    expect(err).toBeInstanceOf(EncodingFailedError)
    expect((err as Error).message).toMatch(/worker/)
    const reopened = await DeltaTable.open(store)
    expect(reopened.version).toBe(1)
    expect(await reopened.files()).toEqual(before)
    expect(await rowsOf(reopened)).toBe(10)
    // The next write starts a new worker; until it has loaded, files are written in this thread.
    await t.append(rows)
    expect(await rowsOf(await DeltaTable.open(store))).toBe(10 + n)
  }, 60_000)

  it('a process whose writes started the worker exits by itself when it is done', async () => {
    // (the worker is unreferenced while no file is in flight: it never keeps a finished program alive)
    const run = (writes: number) => {
      const child = runJsonLinesChild<{ version: number }>(join(import.meta.dirname, 'offload-exit-child.ts'), [String(writes)], 'offload-exit-child')
      const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the child did not exit within 30 s')), 30_000).unref())
      return Promise.race([child, timeout])
    }
    // the first write started the worker, which was still loading when the program ended
    expect(await run(1)).toEqual([{ version: 1 }])
    // the second write's pages went to the worker
    expect(await run(2)).toEqual([{ version: 1 }, { version: 2, workerReady: true }])
  }, 60_000)
})
