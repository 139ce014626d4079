// Job mode (issue 15): what users run — a scheduled job, a serverless call, a CLI — is a fresh process
// that imports, opens, does one piece of work and exits. Each sample here is a fresh `node` process
// running a worker in bench/workers (plain .mjs: lagomago from dist/ through the exports map, peers
// from their packages), timed from outside, spawn to exit. Setup that is not the user's work is
// outside the timing for every contender: building each contender's copy of the table (lagomago's
// Delta table, DuckDB's database file, LanceDB's dataset with its BTREE index on id), copying it
// fresh before every sample, and writing the batch file. Inside the timing for every contender: node
// start, import, parsing the batch file into the same plain objects, open, merge, exit. Every sample
// is checked by value: the checksum of the merged table's rows against the generator's model.
import { execFileSync, spawn } from 'node:child_process'
import { cpSync, existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { benchColumns } from '../data.js'
import { duckdbChecksum, expectChecksum, lagomagoChecksum, lanceChecksum, TableModel, type Checksum } from '../checksum.js'
import { median, type Contender, type Job } from '../harness.js'
import { CdcStream } from './merge.js'
import { standardTable } from './scan.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const workers = join(root, 'bench', 'workers')
const peersDir = join(root, 'bench', 'peers')
const peerRequire = createRequire(join(peersDir, 'package.json'))

/** What a worker prints: phase times (ms from process start), its peak RSS, merge metrics. */
export interface WorkerResult {
  phases: Record<string, number>
  rssMiB: number
  /** The worker's CPU time for its whole life (all threads). */
  cpuMs: number
  merges?: Array<{ ms: number; cpuMs: number; updated: number; inserted: number; deleted: number }>
}

/**
 * `--baseline <dir>`: another checkout of lagomago with its own dist/ (e.g. an older commit, built):
 * job-mode jobs then run it too, as the contender "lagomago baseline", in the same run.
 */
const baseline = process.env.BENCH_BASELINE
const baselineEntry = baseline ? join(baseline, 'dist', 'index.js') : undefined

/** Run a worker in a fresh `node` process; resolves with its RESULT line. */
export function runWorker(script: string, args: string[], env: Record<string, string> = {}): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [join(workers, script), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
    let out = ''
    let err = ''
    p.stdout.on('data', (d) => (out += d))
    p.stderr.on('data', (d) => (err += d))
    p.on('error', reject)
    p.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '))
      if (code === 0 && line) resolve(JSON.parse(line.slice(7)))
      else reject(new Error(`${script} exited with ${code}: ${err.trim().split('\n').slice(-3).join(' / ')}`))
    })
  })
}

/** dist/ as a user installs it, rebuilt when a source file is newer (untimed). */
export function ensureBuilt(): void {
  const newest = (dir: string): number => readdirSync(dir, { withFileTypes: true })
    .reduce((m, e) => Math.max(m, e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs), 0)
  const built = join(root, 'dist', 'index.js')
  if (existsSync(built) && statSync(built).mtimeMs >= newest(join(root, 'src'))) return
  process.stderr.write('bench: building dist/ (npm run build)…\n')
  execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' })
}

/** Batch rows → the file every worker parses (tuples; ids and µs timestamps as decimal strings). */
function writeBatch(file: string, rows: ReadonlyArray<Record<string, unknown>>): void {
  const tsMicros = (d: Date) => String(BigInt(d.getTime()) * 1000n)
  writeFileSync(file, JSON.stringify(rows.map((r) => r.op === 'D'
    ? ['D', String(r.id)]
    : [r.op, String(r.id), r.qty, r.price, r.category, tsMicros(r.ts as Date), r.note])))
}

// ---- each contender's copy of the standard table (built once, cached under bench/.data) ----

async function duckdbFile(dataDir: string, rows: number, files: string[], tableDir: string): Promise<string> {
  const file = join(dataDir, `duckdb-${rows}.duckdb`)
  if (existsSync(file + '.READY')) return file
  rmSync(file, { force: true })
  const { DuckDBInstance } = await import('@duckdb/node-api')
  const db = await DuckDBInstance.create(file)
  const conn = await db.connect()
  await conn.run(`CREATE TABLE t AS SELECT * FROM read_parquet([${files.map((f) => `'${join(tableDir, f)}'`).join(',')}])`)
  await conn.run('CHECKPOINT')
  conn.closeSync()
  writeFileSync(file + '.READY', '')
  return file
}

async function lanceDir(dataDir: string, rows: number): Promise<string> {
  const dir = join(dataDir, `lance-${rows}`)
  if (existsSync(join(dir, 'READY'))) return dir
  rmSync(dir, { recursive: true, force: true })
  const lancedb = peerRequire('@lancedb/lancedb')
  const arrow = peerRequire('apache-arrow')
  const db = await lancedb.connect(dir)
  const per = rows / 4
  let table: any
  for (let p = 0; p < 4; p++) {
    const c = benchColumns(per, 42, p * per)
    const data = arrow.tableFromArrays({ id: c.id, qty: c.qty, price: c.price, ts: c.ts }).assign(new arrow.Table({
      category: arrow.vectorFromArray(c.category, new arrow.Utf8()),
      note: arrow.vectorFromArray(c.note, new arrow.Utf8()),
    }))
    if (p === 0) table = await db.createTable('t', data)
    else await table.add(data)
  }
  await table.createIndex('id', { config: lancedb.Index.btree() })
  writeFileSync(join(dir, 'READY'), '')
  return dir
}

// ---- reading each contender's result back, for the checksum (untimed) ----

async function duckdbFileChecksum(file: string): Promise<Checksum> {
  const { DuckDBInstance } = await import('@duckdb/node-api')
  const conn = await (await DuckDBInstance.create(file)).connect()
  try { return await duckdbChecksum(conn) } finally { conn.closeSync() }
}

async function lanceDirChecksum(dir: string): Promise<Checksum> {
  const db = await peerRequire('@lancedb/lancedb').connect(dir)
  return lanceChecksum(await db.openTable('t'))
}

// ---- the jobs ----

interface JobCtx {
  rows: number; size: number; dataDir: string
  /** Each contender's pristine copy (read only) and the per-sample work copy. */
  source: string; work: string
  batches: string[]; expected: Checksum; files: string[]; tableDir: string
  results: WorkerResult[]
}

/** Median phase times of the measured samples (results[0] is the warm-up's), from inside the worker. */
const phaseNote = (all: WorkerResult[], names: string[]) => {
  const results = all.length > 1 ? all.slice(1) : all
  return 'phases (median ms): ' + names.filter((n) => results.some((r) => r.phases[n] !== undefined))
    .map((n) => `${n} ${median(results.map((r) => r.phases[n] ?? 0)).toFixed(0)}`).join(', ')
}

function processContender(name: string, script: string, copy: (ctx: JobCtx) => Promise<string>, readBack: (work: string) => Promise<Checksum>, available?: () => Promise<boolean>, env: Record<string, string> = {}): Contender<JobCtx> {
  return {
    name,
    available,
    async prepare(ctx) { ctx.source = await copy(ctx); ctx.results = [] },
    async beforeEach(ctx) {
      rmSync(ctx.work, { recursive: true, force: true })
      rmSync(ctx.work + '.wal', { force: true }) // DuckDB's log beside its file
      cpSync(ctx.source, ctx.work, { recursive: true })
    },
    run: (ctx) => runWorker(script, [ctx.work, ...ctx.batches], env),
    async check(answer, ctx) {
      ctx.results.push(answer as WorkerResult)
      expectChecksum(name, await readBack(ctx.work), ctx.expected)
    },
    peakRssOf: (a) => (a as WorkerResult).rssMiB,
    cpuOf: (a) => (a as WorkerResult).cpuMs,
    summary: (ctx) => phaseNote(ctx.results, ['boot', 'import', 'input', 'open', 'merge']),
  }
}

async function jobSetup(quick: boolean, dataDir: string, size: number, batches: number): Promise<JobCtx> {
  ensureBuilt()
  const rows = quick ? 100_000 : 1_000_000
  const n = quick ? Math.max(10, size / 10) : size
  const std = await standardTable(dataDir, rows)
  const stream = new CdcStream(rows, n)
  const model = TableModel.standard(rows)
  const files: string[] = []
  for (let i = 0; i < batches; i++) {
    const b = stream.next().rows
    model.apply(b)
    const file = join(dataDir, `job-batch-${rows}-${n}-${i}.json`)
    writeBatch(file, b)
    files.push(file)
  }
  return {
    rows, size: n, dataDir, source: std.dir, work: join(dataDir, `job-work-${process.pid}`), batches: files,
    expected: model.checksum(), files: std.files, tableDir: std.dir, results: [],
  }
}

const duckAvailable = () => import('@duckdb/node-api').then(() => true, () => false)
const lanceAvailable = async () => existsSync(join(peersDir, 'node_modules', '@lancedb', 'lancedb'))

function jobMerge(size: number): Job<JobCtx> {
  const label = `${size / 1000}k`
  return {
    name: `job-merge-${label}`,
    description: `Job mode: one fresh \`node\` process per sample — import, parse the batch file (${size.toLocaleString('en')} CDC changes: 70% updates, 20% inserts, 10% deletes) into plain objects, open, merge, exit — timed from outside, spawn to exit. lagomago: \`import('lagomago')\` from dist/, \`DeltaTable.open\`, \`merge(rows, { keys: ['id'] })\`. DuckDB: open a database file, appender, \`MERGE INTO\`. LanceDB: connect, openTable, mergeInsert + delete. Outside the timing for all: building each one's table (DuckDB file, Lance dataset with BTREE index) and copying it fresh before each sample. Checked: checksum of the merged rows. \`--quick\`: 100,000-row table, batch ÷ 10.`,
    goal: '≤ 0.8× LanceDB and ≤ 1× DuckDB',
    setup: ({ quick, dataDir }) => jobSetup(quick, dataDir, size, 1),
    async teardown(ctx) { for (const p of [ctx.work, ctx.work + '.wal']) rmSync(p, { recursive: true, force: true }) },
    contenders: [
      processContender('lagomago (fresh process)', 'lagomago-merge.mjs', async (ctx) => ctx.tableDir, lagomagoChecksum),
      processContender('DuckDB MERGE INTO (fresh process, database file)', 'duckdb-merge.mjs',
        async (ctx) => duckdbFile(ctx.dataDir, ctx.rows, ctx.files, ctx.tableDir), duckdbFileChecksum, duckAvailable),
      processContender('LanceDB 0.31 mergeInsert + delete (fresh process)', 'lance-merge.mjs',
        async (ctx) => lanceDir(ctx.dataDir, ctx.rows), lanceDirChecksum, lanceAvailable),
      ...(baselineEntry ? [processContender(`lagomago baseline (${baseline})`, 'lagomago-merge.mjs', async (ctx) => ctx.tableDir, lagomagoChecksum, undefined, { LAGOMAGO_IMPORT: baselineEntry })] : []),
    ],
  }
}

export const jobMerge1k = jobMerge(1_000)
export const jobMerge100k = jobMerge(100_000)

/** The first merge in a process against the warm ones after it, in the same fresh process. */
function firstMerge(size: number): Job<JobCtx> {
  const BATCHES = 5
  const first = (a: unknown) => (a as WorkerResult).merges![0].ms
  const warm = (a: unknown) => median((a as WorkerResult).merges!.slice(1).map((m) => m.ms))
  return {
    name: `first-merge-${size / 1000}k`,
    description: `A fresh \`node\` process imports lagomago (dist/), opens the 1,000,000-row table and merges ${BATCHES} CDC batches of ${size.toLocaleString('en')} changes in a row; the figure is the first merge's own time (open excluded), timed inside the process, beside the median of the ${BATCHES - 1} merges after it. Checked: each merge's metrics and the table's checksum after all ${BATCHES}. \`--quick\`: 100,000-row table, batch ÷ 10.`,
    goal: 'first merge ≤ 2× the warm merge',
    setup: ({ quick, dataDir }) => jobSetup(quick, dataDir, size, BATCHES),
    async teardown(ctx) { for (const p of [ctx.work, ctx.work + '.wal']) rmSync(p, { recursive: true, force: true }) },
    contenders: (baselineEntry ? [undefined, baselineEntry] : [undefined]).map((entry) => ({
      ...processContender(entry ? `lagomago baseline (${baseline}) first merge` : 'lagomago first merge in a process', 'lagomago-merge.mjs', async (ctx) => ctx.tableDir, lagomagoChecksum,
        undefined, entry ? { LAGOMAGO_IMPORT: entry } : {}),
      timeOf: first,
      cpuOf: (a: unknown) => (a as WorkerResult).merges![0].cpuMs,
      summary: (ctx) => {
        const measured = ctx.results.length > 1 ? ctx.results.slice(1) : ctx.results // results[0] is the warm-up's
        const f = median(measured.map(first))
        const w = median(measured.map(warm))
        // CPU too: on a shared machine a merge's wall time is mostly other processes' time slices
        const fc = median(measured.map((r) => r.merges![0].cpuMs))
        const wc = median(measured.map((r) => median(r.merges!.slice(1).map((m) => m.cpuMs))))
        return `warm merges after it: median ${w.toFixed(1)} ms, ${wc.toFixed(1)} ms CPU; first ÷ warm ${(f / w).toFixed(2)}×, in CPU ${(fc / wc).toFixed(2)}×; ` + phaseNote(ctx.results, ['boot', 'import', 'input', 'open'])
      },
      check: async (answer, ctx) => {
        const r = answer as WorkerResult
        const upd = Math.round(ctx.size * 0.7)
        const ins = Math.round(ctx.size * 0.2)
        for (const m of r.merges!) {
          if (m.updated !== upd || m.inserted !== ins || m.deleted !== ctx.size - upd - ins) throw new Error(`merge metrics ${JSON.stringify(m)}`)
        }
        ctx.results.push(r)
        expectChecksum('lagomago', await lagomagoChecksum(ctx.work), ctx.expected)
      },
    })),
  }
}

export const firstMerge1k = firstMerge(1_000)
export const firstMerge100k = firstMerge(100_000)

// ---- import and the CLI ----

interface ImportCtx { results: WorkerResult[] }

function importContender(name: string, specs: string[]): Contender<ImportCtx> {
  return {
    name,
    prepare: async (ctx) => { ctx.results = [] },
    run: () => runWorker('import.mjs', specs),
    check(answer, ctx) {
      const r = answer as WorkerResult & { exports: number[] }
      if (r.exports.length !== specs.length || r.exports.some((n) => n < 1)) throw new Error(`imports gave ${JSON.stringify(r.exports)}`)
      ctx.results.push(r)
    },
    peakRssOf: (a) => (a as WorkerResult).rssMiB,
    cpuOf: (a) => (a as WorkerResult).cpuMs,
    summary: (ctx) => phaseNote(ctx.results, ['boot', ...specs]),
  }
}

export const jobImport: Job<ImportCtx> = {
  name: 'job-import',
  description: 'Job mode: a fresh `node` process imports the package and exits (timed from outside; the notes give each import timed inside). lagomago from dist/ through the exports map, as a user gets it; the dependencies alone for comparison.',
  goal: 'import lagomago ≤ 150 ms; lagomago/cloud and lagomago/medallion ≤ 50 ms more each',
  setup: async () => { ensureBuilt(); return { results: [] } },
  contenders: [
    importContender("lagomago: import('lagomago')", ['lagomago']),
    importContender("lagomago: import('lagomago') then 'lagomago/cloud'", ['lagomago', 'lagomago/cloud']),
    importContender("lagomago: import('lagomago') then 'lagomago/medallion'", ['lagomago', 'lagomago/medallion']),
    ...(baseline ? [
      importContender(`lagomago baseline (${baseline}): import`, [join(baseline, 'dist', 'index.js')]),
      importContender(`lagomago baseline: import then medallion`, [join(baseline, 'dist', 'index.js'), join(baseline, 'dist', 'medallion', 'index.js')]),
    ] : []),
    importContender("node only (import('node:fs'))", ['node:fs']),
    importContender("import('hyparquet')", ['hyparquet']),
    importContender("import('hyparquet-writer')", ['hyparquet-writer']),
    importContender("import('apache-arrow')", ['apache-arrow']),
  ],
}

/**
 * Run a command in a fresh process; resolves with its stdout and the CPU time of every node process
 * it ran (bench/workers/cpu-exit.mjs preloaded through NODE_OPTIONS; rejects on a non-zero exit).
 */
function runProcess(cmd: string, args: string[]): Promise<{ out: string; cpuMs: number }> {
  return new Promise((resolve, reject) => {
    const preload = `--import=${pathToFileURL(join(workers, 'cpu-exit.mjs')).href}`
    const env = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} ${preload}`.trim() }
    const p = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env })
    let out = ''
    let err = ''
    p.stdout.on('data', (d) => (out += d))
    p.stderr.on('data', (d) => (err += d))
    p.on('error', reject)
    p.on('close', (code) => {
      const cpuMs = [...err.matchAll(/^CPU_MS ([\d.]+)$/gm)].reduce((n, m) => n + Number(m[1]), 0)
      if (code === 0) resolve({ out, cpuMs })
      else reject(new Error(`${cmd} exited with ${code}: ${err.replace(/^CPU_MS .*$/gm, '').trim().slice(-200)}`))
    })
  })
}

interface DescribeCtx { dir: string; rows: number }

function describeContender(name: string, cmd: string, args: (ctx: DescribeCtx) => string[]): Contender<DescribeCtx> {
  return {
    name,
    run: (ctx) => runProcess(cmd, args(ctx)),
    cpuOf: (a) => (a as { cpuMs: number }).cpuMs,
    check(answer, ctx) {
      const out = (answer as { out: string }).out
      if (args(ctx).includes('--version')) {
        if (!/^\d+\.\d+/.test(out)) throw new Error(`npx --version printed ${out}`)
        return
      }
      const d = JSON.parse(out) as { version: number; numRecords: number }
      if (d.version !== 4 || d.numRecords !== ctx.rows) throw new Error(`describe said version ${d.version}, ${d.numRecords} records`)
    },
  }
}

export const jobDescribe: Job<DescribeCtx> = {
  name: 'job-describe',
  description: '`lagomago describe <table> --json` on the standard table (4 files, 5 commits), a fresh process per sample, timed from outside: the bin itself (`node dist/cli/main.js`, what `node_modules/.bin/lagomago` runs) and through `npx` (npm\'s own start-up included). CPU: every node process the command ran (npx and the bin). Checked: the version and record count it prints.',
  goal: '≤ 300 ms wall',
  async setup({ quick, dataDir }) {
    ensureBuilt()
    const rows = quick ? 100_000 : 1_000_000
    return { dir: (await standardTable(dataDir, rows)).dir, rows }
  },
  contenders: [
    describeContender('lagomago describe (node dist/cli/main.js, the bin)', process.execPath, (ctx) => [join(root, 'dist', 'cli', 'main.js'), 'describe', ctx.dir, '--json']),
    ...(baseline ? [describeContender(`lagomago baseline describe (${baseline})`, process.execPath, (ctx) => [join(baseline, 'dist', 'cli', 'main.js'), 'describe', ctx.dir, '--json'])] : []),
    describeContender('lagomago describe through npx', 'npx', (ctx) => ['--no-install', 'lagomago', 'describe', ctx.dir, '--json']),
    describeContender('npx --version (npx alone)', 'npx', () => ['--version']),
  ],
}
