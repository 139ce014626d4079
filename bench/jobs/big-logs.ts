// Issue 17's big-log jobs: writing the checkpoint of a 100,000-file table, and opening the latest
// snapshot of a table whose checkpoint holds 1,000,000 files. Logs are synthetic: the open job's
// table has no data files at all (opening reads only `_delta_log/`), its checkpoint is written by
// lagomago's own writer, cached under `--data` (use /work/bench-data/big-logs: ~200 MB at 1M files).
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parquetMetadata } from 'hyparquet'
import type { Action, AddFile, Metadata, Protocol, RemoveFile } from '../../src/log/actions.js'
import { checkpointBytes, writeCheckpoint, type CheckpointSource } from '../../src/log/checkpoint-write.js'
import { commitKey } from '../../src/log/log-path.js'
import { LocalStore } from '../../src/storage/local-store.js'
import { MemoryStore } from '../../src/storage/memory-store.js'
import type { Contender, Job } from '../harness.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const baseline = process.env.BENCH_BASELINE
const T0 = 1_767_225_600_000
const DAY = 86_400_000

const SCHEMA = JSON.stringify({ type: 'struct', fields: [
  { name: 'id', type: 'long', nullable: true, metadata: {} },
  { name: 'ts', type: 'timestamp', nullable: true, metadata: {} },
  { name: 'amount', type: 'double', nullable: true, metadata: {} },
  { name: 'note', type: 'string', nullable: true, metadata: {} },
  { name: 'day', type: 'date', nullable: true, metadata: {} },
] })
const PROTOCOL: Protocol = { minReaderVersion: 1, minWriterVersion: 2 }
const METADATA: Metadata = {
  id: 'big-logs', format: { provider: 'parquet', options: {} }, schemaString: SCHEMA, partitionColumns: ['day'],
  configuration: { 'delta.checkpointInterval': '10' }, createdTime: T0,
}

/** File `i` of an ingest: 1,000 rows, ids ascending across files, stats on every column (~330 bytes as Spark writes them). */
export function bigLogAdd(i: number): AddFile {
  const day = new Date(T0 + Math.floor(i / 1000) * DAY).toISOString().slice(0, 10)
  const lo = i * 1000
  const ts = (k: number) => new Date(T0 + k * 1000).toISOString().replace('Z', '+00:00').replace(/\.\d{3}/, '.000')
  const stats = JSON.stringify({
    numRecords: 1000,
    minValues: { id: lo, ts: ts(lo), amount: (i % 97) - 50.5, note: `n${i % 1000}` },
    maxValues: { id: lo + 999, ts: ts(lo + 999), amount: (i % 89) + 1000.25, note: `z${i % 1000}` },
    nullCount: { id: 0, ts: 0, amount: i % 7, note: i % 3 },
  })
  return {
    path: `day=${day}/part-00000-${hex(i)}-c000.snappy.parquet`, partitionValues: { day }, size: 40_000 + (i % 5000),
    modificationTime: T0 + i, dataChange: true, stats,
  }
}

/** A UUID-shaped name unique per `i`, as Spark names data files. */
function hex(i: number): string {
  const h = (i * 2654435761 >>> 0).toString(16).padStart(8, '0') + i.toString(16).padStart(8, '0')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(0, 3)}-${h.slice(4, 16)}${h.slice(0, 4)}`
}

/** The in-memory state a checkpoint of `files` adds (and 1% tombstones) is written from. */
function source(store: CheckpointSource['store'], version: number, adds: AddFile[], removes: RemoveFile[]): CheckpointSource {
  return { store, version, protocol: PROTOCOL, metadata: METADATA, txns: new Map([['ingest', version]]), domainMetadata: new Map(), activeFiles: () => adds, tombstones: () => removes }
}

const enc = (actions: Action[]) => new TextEncoder().encode(actions.map((a) => JSON.stringify(a)).join('\n') + '\n')

/**
 * A table at version 13: a checkpoint at version 10 with `files` adds (the older commits are gone,
 * as after log cleanup), then commits 11–13, each adding a file and removing one the checkpoint holds.
 */
export async function buildBigLog(dir: string, files: number): Promise<{ version: number; files: number }> {
  const meta = { version: 13, files }
  if (existsSync(join(dir, 'READY'))) return meta
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(join(dir, '_delta_log'), { recursive: true })
  const store = new LocalStore(dir)
  const adds = Array.from({ length: files }, (_, i) => bigLogAdd(i))
  await store.put(commitKey(10), enc([{ commitInfo: { timestamp: T0 + 10, operation: 'WRITE' } }, { add: adds[files - 1] }]))
  await writeCheckpoint(source(store, 10, adds, []), T0 + DAY)
  for (let v = 11; v <= 13; v++) {
    const gone = adds[v * 1000]
    await store.put(commitKey(v), enc([
      { commitInfo: { timestamp: T0 + v, operation: 'WRITE' } },
      { add: bigLogAdd(files + v) },
      { remove: { path: gone.path, partitionValues: gone.partitionValues, size: gone.size, deletionTimestamp: T0 + v, dataChange: true, extendedFileMetadata: true } },
    ]))
  }
  writeFileSync(join(dir, 'READY'), '')
  return meta
}

// ───────────────────────────── checkpoint write ─────────────────────────────

interface WriteCtx { src: CheckpointSource; files: number }

/** checkpointBytes of this checkout, or of a built baseline checkout's dist/ (`--baseline DIR`). */
function writeContender(name: string, load: () => Promise<typeof checkpointBytes>): Contender<WriteCtx> {
  let write: typeof checkpointBytes
  return {
    name,
    async prepare() { write = await load() },
    run: async (ctx) => (await write(ctx.src, T0 + DAY)).bytes,
    check(bytes, ctx) {
      const md = parquetMetadata((bytes as Uint8Array).slice().buffer)
      // protocol, metaData, txn and every add
      if (Number(md.num_rows) !== ctx.files + 3) throw new Error(`${md.num_rows} checkpoint rows, expected ${ctx.files + 3}`)
    },
  }
}

export const checkpointWrite100k: Job<WriteCtx> = {
  name: 'checkpoint-write-100k',
  description: 'Write (encode, in memory) the classic checkpoint of a table with 100,000 active files, each with JSON stats on 4 columns and a partition value. `--quick`: 10,000 files. With `--baseline DIR`, that built checkout\'s writer runs beside this one.',
  goal: '≤ 400 ms',
  async setup({ quick }) {
    const files = quick ? 10_000 : 100_000
    const adds = Array.from({ length: files }, (_, i) => bigLogAdd(i))
    return { files, src: source(new MemoryStore(), 10, adds, []) }
  },
  contenders: [
    writeContender('lagomago checkpoint writer', async () => checkpointBytes),
    ...(baseline ? [writeContender(`lagomago baseline (${baseline})`, async () => (await import(join(baseline, 'dist', 'log', 'checkpoint-write.js'))).checkpointBytes)] : []),
  ],
}

// ───────────────────────────── open a 1M-file table ─────────────────────────────

interface OpenCtx { dir: string; version: number; files: number }
interface OpenAnswer { ms: number; cpuMs: number; rssMiB: number; version: number; files: number; heapMiB: number }

/** One open in a fresh process (bench/workers/big-logs-open.ts), so its peak RSS is the open's own. */
function openInChild(dir: string, mode: string, entry?: string): Promise<OpenAnswer> {
  return new Promise((resolve, reject) => {
    const args = ['--import', 'tsx', join(root, 'bench', 'workers', 'big-logs-open.ts'), dir, mode, ...(entry ? [entry] : [])]
    const p = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    p.stdout.on('data', (d) => (out += d))
    p.stderr.on('data', (d) => (err += d))
    p.on('error', reject)
    p.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '))
      if (code === 0 && line) resolve(JSON.parse(line.slice(7)))
      else reject(new Error(`big-logs-open exited with ${code}: ${err.trim().split('\n').slice(-3).join(' / ')}`))
    })
  })
}

function openContender(name: string, mode: 'open' | 'files', entry?: string): Contender<OpenCtx> {
  const answers: OpenAnswer[] = []
  return {
    name,
    run: async (ctx) => openInChild(ctx.dir, mode, entry),
    check(a, ctx) {
      const r = a as OpenAnswer
      answers.push(r)
      if (r.version !== ctx.version) throw new Error(`opened version ${r.version}, expected ${ctx.version}`)
      if (mode === 'files' && r.files !== ctx.files) throw new Error(`${r.files} active files, expected ${ctx.files}`)
    },
    timeOf: (a) => (a as OpenAnswer).ms,
    cpuOf: (a) => (a as OpenAnswer).cpuMs,
    peakRssOf: (a) => (a as OpenAnswer).rssMiB,
    summary: () => `heap after open ${Math.max(...answers.map((a) => a.heapMiB)).toFixed(0)} MiB`,
  }
}

export const openMillionFiles: Job<OpenCtx> = {
  name: 'open-1m-files',
  description: 'Open the latest snapshot of a local table whose classic checkpoint holds 1,000,000 active files (JSON stats on 4 columns, one partition column), plus 3 commits after it that each add a file and remove one; each sample a fresh process (time and CPU of the open itself, the process\'s peak RSS). `--quick`: 100,000 files.',
  goal: '≤ 3 s and ≤ 2 GiB',
  async setup({ quick, dataDir }) {
    const files = quick ? 100_000 : 1_000_000
    const dir = join(dataDir, `big-log-${files}`)
    const { version } = await buildBigLog(dir, files)
    return { dir, version, files }
  },
  contenders: [
    openContender('lagomago DeltaTable.open (latest)', 'open'),
    openContender('lagomago open + files()', 'files'),
    ...(baseline ? [openContender(`lagomago baseline (${baseline}) open`, 'open', join(baseline, 'dist', 'index.js'))] : []),
  ],
}
