// One sample of a scale job (bench/jobs/scale.ts) in a fresh process, so its peak RSS is the
// operation's own: `node --import tsx scale-worker.ts '<json spec>'` with who (lagomago | duckdb |
// lance), mode (open | sum | scan | merge) and the target. Prints one RESULT line: the measured step's
// time and CPU, the process's peak RSS, and the answer the bench checks (a checksum, a sum, merge metrics).
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { rowHash } from '../checksum.js'
import type { Batch, ScaleChecksum } from '../jobs/scale.js'
import { peakRssMiB } from './peak-rss.mjs'

const spec = JSON.parse(process.argv[2]) as {
  who: 'lagomago' | 'duckdb' | 'lance'; mode: 'open' | 'sum' | 'scan' | 'merge'; target: string
  batch?: string; files?: string[]; lo?: number; hi?: number; status?: string; columnsOnly?: boolean
}
const peerRequire = createRequire(join(import.meta.dirname, '..', 'peers', 'package.json'))
const COLUMNS = ['id', 'qty', 'price', 'category', 'ts', 'note']
const MOD = 2 ** 48

/** Times the measured step (wall and process CPU, all threads). */
let ms = 0
let cpuMs = 0
async function timed<T>(f: () => Promise<T>): Promise<T> {
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  try { return await f() } finally {
    ms += performance.now() - t0
    const c = process.cpuUsage(c0)
    cpuMs += (c.user + c.system) / 1000
  }
}

/** Checksum of one batch's rows from columns read by index (outside the timing). */
function addRows(acc: ScaleChecksum, n: number, get: (col: number, i: number) => unknown): void {
  let s = acc.sum
  for (let i = 0; i < n; i++) {
    s += rowHash(BigInt(get(0, i) as bigint), get(1, i) as number | null, get(2, i) as number | null, get(3, i) as string | null)
    if (s >= MOD) s -= MOD
  }
  acc.sum = s
  acc.rows += n
}

/** Drains an async iterator, timing only the waits for the next item (the consumer's work excluded). */
async function drain<T>(it: AsyncIterator<T>, each: (x: T) => void): Promise<void> {
  for (;;) {
    const r = await timed(() => it.next())
    if (r.done) return
    each(r.value)
  }
}

type ArrowBatch = { numRows: number; getChild(name: string): { get(i: number): unknown } | null }
const arrowRows = (acc: ScaleChecksum) => (b: ArrowBatch) => {
  const cols = COLUMNS.slice(0, 4).map((c) => b.getChild(c)!)
  addRows(acc, b.numRows, (c, i) => cols[c].get(i) ?? null)
}

const readBatch = (): Batch => JSON.parse(readFileSync(spec.batch!, 'utf8'))
const filter = () => `id >= ${spec.lo} AND id < ${spec.hi} AND category = '${spec.status}'`

async function lagomago(): Promise<unknown> {
  // LAGOMAGO_IMPORT: a built entry (dist/index.js of this or another checkout) instead of src/
  const { DeltaTable } = (await import(process.env.LAGOMAGO_IMPORT ?? '../../src/index.js')) as typeof import('../../src/index.js')
  // the dependencies lagomago loads lazily, loaded before the timing as the peers' native modules are
  await Promise.all([import('apache-arrow'), import('hyparquet-writer')])
  const acc: ScaleChecksum = { rows: 0, sum: 0 }
  if (spec.mode === 'open') {
    const t = await timed(() => DeltaTable.open(spec.target))
    let rows = 0
    for (const f of await t.files()) rows += JSON.parse(f.stats!).numRecords - (f.deletionVector?.cardinality ?? 0)
    return { answer: { rows, sum: 0 } }
  }
  if (spec.mode === 'sum') {
    let value = 0
    await timed(async () => {
      const t = await DeltaTable.open(spec.target)
      for await (const b of t.scan({ columns: ['price'], filter: filter() })) {
        const v = b.getChild('price')!
        for (let i = 0; i < v.length; i++) value += v.get(i) as number
      }
    })
    return { answer: { rows: 0, sum: 0, value } }
  }
  if (spec.mode === 'scan') {
    const t = await timed(() => DeltaTable.open(spec.target))
    await drain(t.scan(spec.columnsOnly ? { columns: COLUMNS.slice(0, 4) } : {})[Symbol.asyncIterator](), arrowRows(acc))
    return { answer: acc }
  }
  const arrow = await import('apache-arrow')
  const b = readBatch()
  const n = b.id.length
  const bitmap = (xs: unknown[]) => {
    const m = new Uint8Array((n + 7) >> 3)
    for (let i = 0; i < n; i++) if (xs[i] !== null) m[i >> 3] |= 1 << (i & 7)
    return m
  }
  const nulls = b.qty.filter((x) => x === null).length
  const typed = (type: InstanceType<typeof arrow.DataType>, data: ArrayLike<unknown>) =>
    arrow.makeVector(arrow.makeData({ type, length: n, nullCount: nulls, nullBitmap: bitmap(b.qty), data } as never))
  const table = new arrow.Table({
    op: arrow.vectorFromArray(b.op, new arrow.Utf8()),
    id: arrow.makeVector(BigInt64Array.from(b.id, (x) => BigInt(x))),
    qty: typed(new arrow.Int32(), Int32Array.from(b.qty, (x) => x ?? 0)),
    price: typed(new arrow.Float64(), Float64Array.from(b.price, (x) => x ?? 0)),
    category: arrow.vectorFromArray(b.category, new arrow.Utf8()),
    ts: typed(new arrow.TimestampMicrosecond('UTC'), BigInt64Array.from(b.ts, (x) => BigInt(x ?? 0))),
    note: arrow.vectorFromArray(b.note, new arrow.Utf8()),
  })
  const t = await DeltaTable.open(spec.target)
  const r = await timed(() => t.merge(table, { keys: ['id'] }))
  return { metrics: r.metrics }
}

async function duckdb(): Promise<unknown> {
  const { DuckDBInstance, DuckDBTimestampValue } = await import('@duckdb/node-api')
  const acc: ScaleChecksum = { rows: 0, sum: 0 }
  const files = spec.files && `read_parquet([${spec.files.map((f) => `'${f}'`).join(',')}])`
  if (spec.mode === 'sum') {
    const value = await timed(async () => {
      const conn = await (await DuckDBInstance.create(':memory:')).connect()
      const r = await conn.runAndReadAll(`SELECT sum(price) FROM ${files} WHERE ${filter()}`)
      return Number(r.getRows()[0][0])
    })
    return { answer: { rows: 0, sum: 0, value } }
  }
  const conn = await timed(async () => (await DuckDBInstance.create(files ? ':memory:' : spec.target)).connect())
  if (spec.mode === 'scan') {
    const res = await timed(() => conn.stream(`SELECT ${spec.columnsOnly ? COLUMNS.slice(0, 4).join(', ') : '*'} FROM ${files ?? 't'}`))
    for (;;) {
      const chunk = await timed(() => res.fetchChunk())
      if (!chunk || chunk.rowCount === 0) break
      const cols = chunk.getColumns()
      addRows(acc, chunk.rowCount, (c, i) => cols[c][i])
    }
    return { answer: acc }
  }
  const b = readBatch()
  await conn.run('CREATE TEMP TABLE src (op VARCHAR, id BIGINT, qty INTEGER, price DOUBLE, category VARCHAR, ts TIMESTAMP, note VARCHAR)')
  const app = await conn.createAppender('src', 'main', 'temp')
  for (let i = 0; i < b.id.length; i++) {
    app.appendVarchar(b.op[i])
    app.appendBigInt(BigInt(b.id[i]))
    if (b.op[i] === 'D') { for (let k = 0; k < 5; k++) app.appendNull() } else {
      app.appendInteger(b.qty[i]!); app.appendDouble(b.price[i]!); app.appendVarchar(b.category[i]!)
      app.appendTimestamp(new DuckDBTimestampValue(BigInt(b.ts[i]!))); app.appendVarchar(b.note[i]!)
    }
    app.endRow()
  }
  app.closeSync()
  await timed(() => conn.run(`MERGE INTO t USING src ON t.id = src.id
    WHEN MATCHED AND src.op = 'D' THEN DELETE
    WHEN MATCHED THEN UPDATE SET ${COLUMNS.slice(1).map((c) => `${c} = src.${c}`).join(', ')}
    WHEN NOT MATCHED AND src.op <> 'D' THEN INSERT (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((c) => `src.${c}`).join(', ')})`))
  conn.closeSync()
  return {}
}

async function lance(): Promise<unknown> {
  const lancedb = peerRequire('@lancedb/lancedb')
  const acc: ScaleChecksum = { rows: 0, sum: 0 }
  const open = async () => (await lancedb.connect(spec.target)).openTable('t')
  if (spec.mode === 'open') return { answer: { rows: await timed(async () => (await open()).countRows()), sum: 0 } }
  if (spec.mode === 'sum') {
    let value = 0
    await timed(async () => {
      for await (const b of (await open()).query().where(filter()).select(['price'])) {
        const v = b.getChild('price')
        for (let i = 0; i < v.length; i++) value += v.get(i)
      }
    })
    return { answer: { rows: 0, sum: 0, value } }
  }
  const table = await timed(open)
  if (spec.mode === 'scan') {
    const q = table.query().select(spec.columnsOnly ? COLUMNS.slice(0, 4) : COLUMNS)
    await drain(q[Symbol.asyncIterator](), arrowRows(acc))
    return { answer: acc }
  }
  const arrow = peerRequire('apache-arrow')
  const b = readBatch()
  const up = b.id.map((_, i) => i).filter((i) => b.op[i] !== 'D')
  const deletes = b.id.filter((_, i) => b.op[i] === 'D')
  const data = arrow.tableFromArrays({
    id: BigInt64Array.from(up, (i) => BigInt(b.id[i])),
    qty: Int32Array.from(up, (i) => b.qty[i]!),
    price: Float64Array.from(up, (i) => b.price[i]!),
    ts: BigInt64Array.from(up, (i) => BigInt(b.ts[i]!)),
  }).assign(new arrow.Table({
    category: arrow.vectorFromArray(up.map((i) => b.category[i]), new arrow.Utf8()),
    note: arrow.vectorFromArray(up.map((i) => b.note[i]), new arrow.Utf8()),
  }))
  await timed(async () => {
    await table.mergeInsert('id').whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(data)
    if (deletes.length) await table.delete(`id IN (${deletes.join(',')})`)
  })
  return {}
}

const out = await ({ lagomago, duckdb, lance })[spec.who]()
process.stdout.write(`RESULT ${JSON.stringify({ phases: {}, ms, cpuMs, rssMiB: peakRssMiB(), ...(out as object) })}\n`)
