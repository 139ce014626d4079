// Issue 17's "cost against size": the same operations on tables of 1M, 10M (default) and 100M rows
// (`--scale 1m|10m|100m`), 100,000 rows a file, ids ascending across files as an ingest writes them.
// Each sample is a fresh process (bench/workers/scale-worker.ts) that opens, does one piece of work
// and reports its own time, CPU and peak RSS, so the RSS is the operation's and not the bench's
// (which holds the model and reads every answer back). Every sample is checked by value against a
// model of the generator: per-id row hashes (bench/checksum.ts's rowHash) of the base table, cached
// beside it, plus the changes applied so far.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DeltaTable } from '../../src/table/delta-table.js'
import { BENCH_SCHEMA, benchColumns, benchRows, prng } from '../data.js'
import { rowHash } from '../checksum.js'
import type { Contender, Job } from '../harness.js'
import { spawn } from 'node:child_process'
import type { WorkerResult } from './process.js'

export const SCALES: Record<string, number> = { '1m': 1_000_000, '10m': 10_000_000, '100m': 100_000_000 }
export const ROWS_PER_FILE = 100_000
/** `--scale` (bench/run.ts passes it as BENCH_SCALE). */
function scaleRows(): number {
  const s = (process.env.BENCH_SCALE ?? '10m').toLowerCase()
  if (!(s in SCALES)) throw new Error(`--scale ${s}: expected one of ${Object.keys(SCALES).join(', ')}`)
  return SCALES[s]
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const peerRequire = createRequire(join(root, 'bench', 'peers', 'package.json'))

// ---- checksums modulo 2^48: exact at any row count (hashes are < 2^32) ----

const MOD = 2 ** 48
export const modAdd = (a: number, b: number) => (((a + b) % MOD) + MOD) % MOD
export interface ScaleChecksum { rows: number; sum: number }

/** The expected table: base row hashes by id (from the generator, cached) and the changes since. */
export class ScaleModel {
  private readonly over = new Map<number, number>()
  rows: number
  sum = 0
  constructor(private readonly base: Uint32Array) {
    this.rows = base.length
    let s = 0
    for (let i = 0; i < base.length; i++) {
      s += base[i]
      if (s >= MOD) s -= MOD
    }
    this.sum = s
  }

  /** The current hash of a live id, or undefined. */
  private current(id: number): number | undefined {
    const o = this.over.get(id)
    if (o !== undefined) return o < 0 ? undefined : o
    return id < this.base.length ? this.base[id] : undefined
  }

  apply(b: Batch): void {
    for (let i = 0; i < b.id.length; i++) {
      const id = b.id[i]
      const old = this.current(id)
      if (old !== undefined) { this.sum = modAdd(this.sum, -old); this.rows-- }
      if (b.op[i] === 'D') { this.over.set(id, -1); continue }
      const h = rowHash(BigInt(id), b.qty[i], b.price[i], b.category[i])
      this.over.set(id, h)
      this.sum = modAdd(this.sum, h)
      this.rows++
    }
  }

  checksum(): ScaleChecksum { return { rows: this.rows, sum: this.sum } }
}

// ---- the data: table, base hashes, peers' copies (built once, cached under --data) ----

export interface ScaleData { rows: number; home: string; table: string; files: string[]; hashes: Uint32Array; generatedMs: number }

/** The table `<dataDir>/scale-<rows>/table` (rows/100k appends of the generator's rows) and its row hashes. */
export async function scaleData(dataDir: string, rows: number): Promise<ScaleData> {
  const home = join(dataDir, `scale-${rows}`)
  const table = join(home, 'table')
  const ready = join(home, 'READY.json')
  if (!existsSync(ready)) {
    rmSync(home, { recursive: true, force: true })
    mkdirSync(home, { recursive: true })
    const t0 = performance.now()
    const hashes = new Uint32Array(rows)
    const t = await DeltaTable.create(table, { schema: BENCH_SCHEMA, ifExists: 'overwrite' })
    for (let start = 0; start < rows; start += ROWS_PER_FILE) {
      const c = benchColumns(ROWS_PER_FILE, 42, start)
      for (let i = 0; i < c.length; i++) hashes[start + i] = rowHash(c.id[i], c.qty[i], c.price[i], c.category[i])
      await t.append(benchRows(c))
      if ((start / ROWS_PER_FILE) % 50 === 49) process.stderr.write(`scale: generated ${(start + ROWS_PER_FILE).toLocaleString('en')} rows\n`)
    }
    writeFileSync(join(home, 'hashes.u32'), hashes)
    writeFileSync(ready, JSON.stringify({ rows, generatedMs: Math.round(performance.now() - t0) }))
  }
  const { generatedMs } = JSON.parse(readFileSync(ready, 'utf8'))
  const buf = readFileSync(join(home, 'hashes.u32'))
  const hashes = new Uint32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4)
  const files = (await (await DeltaTable.open(table)).files()).map((f) => join(table, f.path))
  return { rows, home, table, files, hashes, generatedMs }
}

async function duckdbFile(d: ScaleData): Promise<string> {
  const file = join(d.home, 'duckdb.duckdb')
  if (existsSync(file + '.READY')) return file
  rmSync(file, { force: true })
  const { DuckDBInstance } = await import('@duckdb/node-api')
  const conn = await (await DuckDBInstance.create(file)).connect()
  await conn.run(`CREATE TABLE t AS SELECT * FROM read_parquet([${d.files.map((f) => `'${f}'`).join(',')}])`)
  await conn.run('CHECKPOINT')
  conn.closeSync()
  writeFileSync(file + '.READY', '')
  return file
}

/** LanceDB dataset of the same rows (1M-row adds), BTREE index on id. */
async function lanceDir(d: ScaleData): Promise<string> {
  const dir = join(d.home, 'lance')
  if (existsSync(join(dir, 'READY'))) return dir
  rmSync(dir, { recursive: true, force: true })
  const lancedb = peerRequire('@lancedb/lancedb')
  const arrow = peerRequire('apache-arrow')
  const db = await lancedb.connect(dir)
  let table: any
  const step = Math.min(d.rows, 1_000_000)
  for (let start = 0; start < d.rows; start += step) {
    const parts = []
    for (let s = start; s < start + step; s += ROWS_PER_FILE) {
      const c = benchColumns(ROWS_PER_FILE, 42, s)
      parts.push(arrow.tableFromArrays({ id: c.id, qty: c.qty, price: c.price, ts: c.ts }).assign(new arrow.Table({
        category: arrow.vectorFromArray(c.category, new arrow.Utf8()),
        note: arrow.vectorFromArray(c.note, new arrow.Utf8()),
      })))
    }
    const data = parts.reduce((a, b) => a.concat(b))
    if (!table) table = await db.createTable('t', data)
    else await table.add(data)
  }
  await table.createIndex('id', { config: lancedb.Index.btree() })
  writeFileSync(join(dir, 'READY'), '')
  return dir
}

// ---- CDC batches: 70% updates, 20% inserts (new ids), 10% deletes ----

/** A CDC batch as columns (what the worker reads; ts in µs; null for a delete's values). */
export interface Batch {
  op: string[]; id: number[]; qty: (number | null)[]; price: (number | null)[]; category: (string | null)[]; ts: (number | null)[]; note: (string | null)[]
}

/**
 * Batches in order, so updates and deletes hit live ids. `random`: keys over the whole table;
 * `clustered`: keys among the newest ids, a window of 1% of the table (at least twice the batch, so
 * the batch's distinct keys fit; it slides as inserts add ids).
 */
export class ScaleStream {
  private readonly deleted = new Set<number>()
  private nextId: number
  private b = 0
  constructor(rows: number, readonly size: number, readonly keys: 'random' | 'clustered') { this.nextId = rows }

  window(): number {
    return this.keys === 'random' ? this.nextId : Math.min(this.nextId, Math.max(Math.floor(this.nextId / 100), 2 * this.size))
  }

  next(): Batch {
    const rand = prng(17_000 + this.b)
    const payload = benchColumns(this.size, 1_700 + this.b++, 0)
    const lo = this.nextId - this.window()
    const span = this.nextId - lo
    const used = new Set<number>()
    const pick = (): number => {
      for (;;) {
        const id = lo + Math.floor(rand() * span)
        if (!used.has(id) && !this.deleted.has(id)) { used.add(id); return id }
      }
    }
    const n = this.size
    const nUpd = Math.round(n * 0.7)
    const nIns = Math.round(n * 0.2)
    const b: Batch = { op: [], id: [], qty: [], price: [], category: [], ts: [], note: [] }
    for (let i = 0; i < n; i++) {
      const op = i < nUpd ? 'U' : i < nUpd + nIns ? 'I' : 'D'
      const id = op === 'I' ? this.nextId++ : pick()
      if (op === 'D') this.deleted.add(id)
      b.op.push(op); b.id.push(id)
      const del = op === 'D'
      b.qty.push(del ? null : payload.qty[i]); b.price.push(del ? null : payload.price[i]); b.category.push(del ? null : payload.category[i])
      b.ts.push(del ? null : Number(payload.ts[i])); b.note.push(del ? null : payload.note[i])
    }
    return b
  }
}

// ---- the jobs ----

type Who = 'lagomago' | 'duckdb' | 'lance'
interface Ctx {
  data: ScaleData; model: ScaleModel; who: Who; work: string; stream?: ScaleStream; batchFile?: string; batch?: Batch
  results: Reported[]
}

/** What scale-worker.ts reports beside the phases: the measured step's own figures and its answer. */
export interface ScaleAnswer { ms: number; cpuMs: number; answer?: ScaleChecksum & { value?: number }; metrics?: Record<string, number> }
type Reported = WorkerResult & ScaleAnswer

/**
 * One sample: a fresh `node --import tsx` process running scale-worker.ts (lagomago from src/, or
 * the built entry `lagomagoImport`).
 */
export function worker(spec: Record<string, unknown>, lagomagoImport?: string): Promise<Reported> {
  return new Promise((resolve, reject) => {
    const args = ['--import', 'tsx', join(root, 'bench', 'workers', 'scale-worker.ts'), JSON.stringify(spec)]
    const env = lagomagoImport ? { ...process.env, LAGOMAGO_IMPORT: lagomagoImport } : process.env
    const p = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    p.stdout.on('data', (d) => (out += d))
    p.stderr.on('data', (d) => (err += d))
    p.on('error', reject)
    p.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '))
      if (code === 0 && line) resolve(JSON.parse(line.slice(7)))
      else reject(new Error(`scale-worker ${spec.who} ${spec.mode} exited with ${code}: ${err.trim().split('\n').slice(-3).join(' / ')}`))
    })
  })
}

/** Checksum of each contender's whole table after a merge, read back (untimed, in the bench process). */
async function readBack(ctx: Ctx): Promise<ScaleChecksum> {
  const r = await worker({ who: ctx.who, mode: 'scan', target: ctx.work, columnsOnly: true })
  return r.answer!
}

function expect(who: string, got: ScaleChecksum, want: ScaleChecksum): void {
  if (got.rows !== want.rows || got.sum !== want.sum) throw new Error(`${who}: ${got.rows} rows, hash sum ${got.sum}; expected ${want.rows} rows, hash sum ${want.sum}`)
}

const available: Record<Who, () => Promise<boolean>> = {
  lagomago: async () => true,
  duckdb: async () => import('@duckdb/node-api').then(() => true, () => false),
  lance: async () => existsSync(join(root, 'bench', 'peers', 'node_modules', '@lancedb', 'lancedb')),
}

const NAMES: Record<Who, Record<string, string>> = {
  lagomago: { merge: 'lagomago merge (CDC mode, Arrow batch)', open: 'lagomago DeltaTable.open (latest)', sum: 'lagomago open + scan(filter) + sum', scan: 'lagomago scan(), one batch at a time' },
  duckdb: { merge: 'DuckDB MERGE INTO (database file)', sum: 'DuckDB read_parquet + sum (our files)', scan: 'DuckDB read_parquet, streamed chunks (our files)' },
  lance: { merge: 'LanceDB 0.31 mergeInsert (BTREE on id) + delete', open: 'LanceDB connect + openTable + countRows', sum: 'LanceDB query(where) + sum', scan: 'LanceDB query(), streamed batches' },
}

/** Peak RSS, CPU and time come from the worker; phases (open, input) in the notes. */
function contender(who: Who, mode: string, run: (ctx: Ctx) => Promise<Reported>, check: (r: Reported, ctx: Ctx) => Promise<void> | void): Contender<Ctx> {
  return {
    name: NAMES[who][mode],
    available: available[who],
    async prepare(ctx) { ctx.who = who },
    run: async (ctx) => { const r = await run(ctx); ctx.results.push(r); return r },
    check: (r, ctx) => check(r as Reported, ctx),
    timeOf: (r) => (r as Reported).ms,
    cpuOf: (r) => (r as Reported).cpuMs,
    peakRssOf: (r) => (r as Reported).rssMiB,
    summary: (ctx) => summarise(ctx.results.slice(1)),
  }
}

function summarise(rs: Reported[]): string {
  const m = rs.map((r) => r.metrics).filter((x): x is Record<string, number> => !!x)
  if (!m.length) return ''
  const scanned = m.map((x) => x.numTargetFilesScanned)
  const skipped = m.map((x) => x.numTargetFilesSkipped)
  return `files scanned ${scanned.join(', ')} (skipped ${skipped.join(', ')}); files added ${m.map((x) => x.numTargetFilesAdded).join(', ')}, DVs ${m.map((x) => x.numTargetDeletionVectorsAdded + x.numTargetDeletionVectorsUpdated).join(', ')}`
}

const label = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}m` : `${n / 1000}k`)

function setupWith(changes?: number, keys?: 'random' | 'clustered'): Job<Ctx>['setup'] {
  return async ({ quick, dataDir }) => {
    const rows = quick ? 1_000_000 : scaleRows()
    const data = await scaleData(dataDir, rows)
    const ctx: Ctx = { data, model: new ScaleModel(data.hashes), who: 'lagomago', work: data.table, results: [] }
    if (changes && keys) {
      ctx.stream = new ScaleStream(rows, changes, keys)
      ctx.batchFile = join(data.home, `batch-${process.pid}.json`)
    }
    return ctx
  }
}

/** The contender's private copy of its table, made untimed before the first merge. */
async function workCopy(ctx: Ctx): Promise<void> {
  const src = ctx.who === 'lagomago' ? ctx.data.table : ctx.who === 'duckdb' ? await duckdbFile(ctx.data) : await lanceDir(ctx.data)
  ctx.work = join(ctx.data.home, `work-${ctx.who}-${process.pid}${ctx.who === 'duckdb' ? '.duckdb' : ''}`)
  rmSync(ctx.work, { recursive: true, force: true })
  cpSync(src, ctx.work, { recursive: true })
}

function stageBatch(ctx: Ctx): void {
  ctx.batch = ctx.stream!.next()
  writeFileSync(ctx.batchFile!, JSON.stringify(ctx.batch))
}

function mergeJob(changes: number, keys: 'random' | 'clustered'): Job<Ctx> {
  const who: Who[] = ['lagomago', 'duckdb', 'lance']
  return {
    name: `scale-merge-${label(changes)}-${keys}`,
    description: `CDC merge of ${changes.toLocaleString('en')} changes (70% updates, 20% inserts, 10% deletes) with keys ${keys === 'random' ? 'random over the table' : 'among the newest 1% of ids (at least twice the batch)'}, into the scale table; each sample merges the next batch of a seeded sequence into the contender's own copy, in a fresh process (time, CPU and peak RSS of that process; the figure is the merge statement alone). Checked: every contender's whole table against the model after every sample.`,
    setup: setupWith(changes, keys),
    async teardown(ctx) {
      if (ctx.work !== ctx.data.table) rmSync(ctx.work, { recursive: true, force: true })
      if (ctx.batchFile) rmSync(ctx.batchFile, { force: true })
    },
    contenders: who.map((w) => ({
      ...contender(w, 'merge', (ctx) => worker({ who: w, mode: 'merge', target: ctx.work, batch: ctx.batchFile }), async (r, ctx) => {
        ctx.model.apply(ctx.batch!)
        expect(w, await readBack(ctx), ctx.model.checksum())
        stageBatch(ctx)
      }),
      async prepare(ctx: Ctx) { ctx.who = w; await workCopy(ctx); stageBatch(ctx) },
    })),
  }
}

/** The filtered aggregate's 10% id range and status, and its answer from the generator. */
export const RANGE = (rows: number) => ({ lo: Math.floor(rows * 0.45), hi: Math.floor(rows * 0.55), status: 'bravo' })
export function expectedSum(rows: number): number {
  const { lo, hi, status } = RANGE(rows)
  let sum = 0
  for (let start = Math.floor(lo / ROWS_PER_FILE) * ROWS_PER_FILE; start < hi; start += ROWS_PER_FILE) {
    const c = benchColumns(ROWS_PER_FILE, 42, start)
    for (let i = 0; i < c.length; i++) if (start + i >= lo && start + i < hi && c.category[i] === status) sum += c.price[i]
  }
  return sum
}

const readJob = (mode: 'open' | 'sum' | 'scan', who: Who[], description: string): Job<Ctx> => ({
  name: `scale-${mode === 'sum' ? 'filtered-sum' : mode}`,
  description,
  setup: setupWith(),
  contenders: who.map((w) => ({
    ...contender(w, mode, async (ctx) => worker({ who: w, mode, target: w === 'lance' ? ctx.work : ctx.data.table, files: w === 'duckdb' ? ctx.data.files : undefined, ...RANGE(ctx.data.rows) }), (r, ctx) => {
      const a = r.answer!
      if (mode === 'sum') {
        const want = expectedSum(ctx.data.rows)
        if (Math.abs(a.value! - want) > 1e-6 * want) throw new Error(`${w}: sum ${a.value}, expected ${want}`)
      } else if (mode === 'open') {
        if (a.rows !== ctx.data.rows) throw new Error(`${w}: ${a.rows} rows after open, expected ${ctx.data.rows}`)
      } else expect(w, a, ctx.model.checksum())
    }),
    async prepare(ctx: Ctx) { ctx.who = w; if (w === 'lance') ctx.work = await lanceDir(ctx.data) },
  })),
})

export const SCALE_JOBS: Job<Ctx>[] = [
  readJob('open', ['lagomago', 'lance'], 'Open the latest version in a fresh process (lagomago: DeltaTable.open of a table of rows/100k files and as many commits, checkpointed every 10; the answer is the row count from the snapshot\'s file statistics). Checked: the count.'),
  readJob('sum', ['lagomago', 'duckdb', 'lance'], "sum(price) where id in a 10% range and category = 'bravo', in a fresh process (open inside the timing). Checked: the sum against the generator's."),
  readJob('scan', ['lagomago', 'duckdb', 'lance'], 'Every row of every column, one batch at a time, in a fresh process; the figure is the time spent waiting for batches (the checksum of each batch is computed between them, outside the figure). Checked: the checksum of the rows against the generator.'),
  ...[1_000, 100_000, 1_000_000].flatMap((n) => [mergeJob(n, 'random'), mergeJob(n, 'clustered')]),
]
