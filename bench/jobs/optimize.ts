// Issue 8's OPTIMIZE jobs: (1) a table of 1,000 small files (1,000 commits of 1,000 rows, as a
// streaming ingest leaves it) compacted by bin-packing, and its full scan before and after; (2) a
// table after 50 CDC merge batches (deletion vectors and 50 small files): OPTIMIZE purging the DVs,
// and the scan and a small merge before and after. Tables are built once and cached; each measured
// write is checked and then undone (untimed: its commit and the files it wrote deleted) so every run
// starts from the same state. Answers of the CDC table's job are checked by the checksum of the rows
// against the generator's model (bench/checksum.ts).
import { cpSync, existsSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileKey } from '../../src/log/actions.js'
import { commitKey } from '../../src/log/log-path.js'
import { loadSnapshot } from '../../src/log/snapshot.js'
import { dvStoreKey } from '../../src/scan/deletion-vectors.js'
import { LocalStore } from '../../src/storage/local-store.js'
import { DeltaTable } from '../../src/table/delta-table.js'
import { BENCH_SCHEMA, benchColumns, benchRows, prng } from '../data.js'
import { checksumArrow, expectChecksum, lagomagoChecksum, TableModel, type Checksum } from '../checksum.js'
import type { Job } from '../harness.js'

/** Delete the latest commit of the table in `dir` and the data and DV files only it introduced. */
export async function undoLastCommit(dir: string): Promise<void> {
  const store = new LocalStore(dir)
  const after = await loadSnapshot(store)
  const before = await loadSnapshot(store, { version: after.version - 1 })
  const keep = new Set<string>()
  for (const a of before.activeFiles()) {
    keep.add(before.resolvePath(a.path))
    const dv = a.deletionVector ? dvStoreKey(a.deletionVector, before) : undefined
    if (dv) keep.add(dv)
  }
  const known = new Set(before.activeFiles().map((a) => fileKey(a.path, a.deletionVector)))
  for (const a of after.activeFiles()) {
    if (known.has(fileKey(a.path, a.deletionVector))) continue
    const key = after.resolvePath(a.path)
    if (!keep.has(key)) await store.delete(key)
    const dv = a.deletionVector ? dvStoreKey(a.deletionVector, after) : undefined
    if (dv && !keep.has(dv)) await store.delete(dv)
  }
  await store.delete(commitKey(after.version))
}

interface Ctx { small: string; compacted: string; rows: number; files: number; expected: Checksum }

const ROWS_PER_FILE = 1_000

async function buildSmallFiles(dir: string, files: number): Promise<void> {
  if (existsSync(join(dir, 'READY'))) return
  rmSync(dir, { recursive: true, force: true })
  const t = await DeltaTable.create(dir, { schema: BENCH_SCHEMA })
  for (let i = 0; i < files; i++) await t.append(benchRows(benchColumns(ROWS_PER_FILE, 42, i * ROWS_PER_FILE)))
  writeFileSync(join(dir, 'READY'), '')
}

async function buildCompacted(small: string, dir: string): Promise<void> {
  if (existsSync(join(dir, 'READY'))) return
  rmSync(dir, { recursive: true, force: true })
  cpSync(small, dir, { recursive: true })
  rmSync(join(dir, 'READY'))
  await (await DeltaTable.open(dir)).optimize()
  writeFileSync(join(dir, 'READY'), '')
}

export const optimizeSmallFiles: Job<Ctx> = {
  name: 'optimize-1k-files',
  description: 'OPTIMIZE (bin-packing) of a local table of 1,000 small files (1,000 rows × 6 columns each, 1,000,000 rows, one commit per file) into one file, and a full scan into Arrow before and after. `--quick`: 100 files.',
  goal: 'OPTIMIZE < 10 s; scan after ≥ 2× faster than before',
  async setup({ quick, dataDir }) {
    const files = quick ? 100 : 1_000
    const small = join(dataDir, `optimize-small-${files}`)
    const compacted = join(dataDir, `optimize-compacted-${files}`)
    await buildSmallFiles(small, files)
    await buildCompacted(small, compacted)
    return { small, compacted, rows: files * ROWS_PER_FILE, files, expected: TableModel.standard(files * ROWS_PER_FILE, files).checksum() }
  },
  contenders: [
    {
      name: 'lagomago optimize (bin-pack)',
      run: async (ctx) => (await (await DeltaTable.open(ctx.small)).optimize()).metrics.numFilesRemoved,
      async check(n, ctx) {
        if (n !== ctx.files) throw new Error(`optimize removed ${n} files, expected ${ctx.files}`)
        expectChecksum('optimize', await lagomagoChecksum(ctx.small), ctx.expected)
        await undoLastCommit(ctx.small)
      },
    },
    {
      name: 'lagomago toArrow before (small files)',
      run: async (ctx) => (await DeltaTable.open(ctx.small)).toArrow(),
      check: (t, ctx) => expectChecksum('toArrow before', checksumArrow((t as { batches: Parameters<typeof checksumArrow>[0] }).batches), ctx.expected),
    },
    {
      name: 'lagomago toArrow after (compacted)',
      run: async (ctx) => (await DeltaTable.open(ctx.compacted)).toArrow(),
      check: (t, ctx) => expectChecksum('toArrow after', checksumArrow((t as { batches: Parameters<typeof checksumArrow>[0] }).batches), ctx.expected),
    },
  ],
}

// ───────────────────────────── 50 CDC batches ─────────────────────────────

interface CdcCtx {
  cdc: string; compacted: string; rows: number; batchRows: number
  /** The table's checksum after the 50 batches, and after the measured 1,000-row merge on top. */
  expected: Checksum; afterMerge: Checksum
}

const CDC_BATCHES = 50

/** A CDC batch: `n` rows, 90% updates of existing ids, 10% inserts of new ids (deterministic). */
function cdcBatch(seed: number, n: number, tableRows: number, firstNewId: number): Array<Record<string, unknown>> {
  const rand = prng(seed)
  const updates = Math.floor(n * 0.9)
  const rows = benchRows(benchColumns(n, seed, firstNewId))
  const used = new Set<bigint>()
  for (let i = 0; i < updates; i++) {
    let id: bigint
    do id = BigInt(Math.floor(rand() * tableRows)); while (used.has(id))
    used.add(id)
    rows[i].id = id
  }
  return rows
}

/** The measured 1,000-row merge of the CDC table job. */
const measuredBatch = (live: number) => cdcBatch(7, 1_000, live, 10 * live)

async function mergeBatch(t: DeltaTable, rows: Array<Record<string, unknown>>): Promise<void> {
  await t.merge(rows, { on: ['id'] }).whenMatchedUpdateAll().whenNotMatchedInsertAll().execute()
}

async function buildCdcTable(dir: string, rows: number, batchRows: number): Promise<void> {
  if (existsSync(join(dir, 'READY'))) return
  rmSync(dir, { recursive: true, force: true })
  // A high checkpoint interval keeps the measured commits free of checkpoints, so undo stays exact.
  const t = await DeltaTable.create(dir, { schema: BENCH_SCHEMA, properties: { 'delta.checkpointInterval': '1000' } })
  for (let p = 0; p < 4; p++) await t.append(benchRows(benchColumns(rows / 4, 42, (p * rows) / 4)))
  for (let b = 0; b < CDC_BATCHES; b++) await mergeBatch(t, cdcBatch(1000 + b, batchRows, rows, rows + b * batchRows))
  writeFileSync(join(dir, 'READY'), '')
}

export const optimizeCdcTable: Job<CdcCtx> = {
  name: 'optimize-cdc-dvs',
  description: 'A 1,000,000-row table after 50 CDC merge batches of 2,000 rows (90% updates as deletion vectors, 10% inserts): OPTIMIZE (DV purge + compaction), and a full scan and a 1,000-row merge before and after. `--quick`: 100,000 rows, batches of 200.',
  goal: 'OPTIMIZE < 15 s; scan and merge faster after',
  async setup({ quick, dataDir }) {
    const rows = quick ? 100_000 : 1_000_000
    const batchRows = quick ? 200 : 2_000
    const cdc = join(dataDir, `optimize-cdc-${rows}`)
    const compacted = join(dataDir, `optimize-cdc-compacted-${rows}`)
    await buildCdcTable(cdc, rows, batchRows)
    await buildCompacted(cdc, compacted)
    const live = rows + CDC_BATCHES * (batchRows - Math.floor(batchRows * 0.9))
    const model = TableModel.standard(rows)
    for (let b = 0; b < CDC_BATCHES; b++) model.apply(cdcBatch(1000 + b, batchRows, rows, rows + b * batchRows))
    const merged = model.clone()
    merged.apply(measuredBatch(live))
    return { cdc, compacted, rows: live, batchRows, expected: model.checksum(), afterMerge: merged.checksum() }
  },
  contenders: [
    {
      name: 'lagomago optimize (DV purge + bin-pack)',
      run: async (ctx) => (await (await DeltaTable.open(ctx.cdc)).optimize()).metrics.numDeletionVectorsRemoved,
      async check(n, ctx) {
        if (typeof n !== 'number' || n < 1) throw new Error(`optimize removed ${String(n)} deletion vectors, expected some`)
        expectChecksum('optimize', await lagomagoChecksum(ctx.cdc), ctx.expected)
        await undoLastCommit(ctx.cdc)
      },
    },
    {
      name: 'lagomago toArrow before (DVs, small files)',
      run: async (ctx) => (await DeltaTable.open(ctx.cdc)).toArrow(),
      check: (t, ctx) => expectChecksum('toArrow before', checksumArrow((t as { batches: Parameters<typeof checksumArrow>[0] }).batches), ctx.expected),
    },
    {
      name: 'lagomago toArrow after (compacted)',
      run: async (ctx) => (await DeltaTable.open(ctx.compacted)).toArrow(),
      check: (t, ctx) => expectChecksum('toArrow after', checksumArrow((t as { batches: Parameters<typeof checksumArrow>[0] }).batches), ctx.expected),
    },
    {
      name: 'lagomago 1,000-row merge before',
      run: async (ctx) => mergeBatch(await DeltaTable.open(ctx.cdc), measuredBatch(ctx.rows)),
      async check(_, ctx) {
        expectChecksum('merge before', await lagomagoChecksum(ctx.cdc), ctx.afterMerge)
        await undoLastCommit(ctx.cdc)
      },
    },
    {
      name: 'lagomago 1,000-row merge after',
      run: async (ctx) => mergeBatch(await DeltaTable.open(ctx.compacted), measuredBatch(ctx.rows)),
      async check(_, ctx) {
        expectChecksum('merge after', await lagomagoChecksum(ctx.compacted), ctx.afterMerge)
        await undoLastCommit(ctx.compacted)
      },
    },
  ],
}
