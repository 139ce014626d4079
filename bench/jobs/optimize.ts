// Issue 8's OPTIMIZE job: a table of 1,000 small files (1,000 commits of 1,000 rows, as a streaming
// ingest leaves it) compacted by bin-packing, and the full scan of that table before and after.
// The small-file table is built once and cached; each measured OPTIMIZE is undone afterwards (its
// commit and new files deleted, a handful of unlinks) so every run starts from the same 1,000 files.
import { cpSync, existsSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { commitKey } from '../../src/log/log-path.js'
import { LocalStore } from '../../src/storage/local-store.js'
import { DeltaTable } from '../../src/table/delta-table.js'
import { BENCH_SCHEMA, benchColumns, benchRows } from '../data.js'
import type { Job } from '../harness.js'

interface Ctx { small: string; compacted: string; rows: number; files: number }

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
    return { small, compacted, rows: files * ROWS_PER_FILE, files }
  },
  contenders: [
    {
      name: 'lagomago optimize (bin-pack)',
      run: async (ctx) => {
        const t = await DeltaTable.open(ctx.small)
        const r = await t.optimize()
        // Undo: the OPTIMIZE commit and the files it wrote (the inputs were only tombstoned).
        const store = new LocalStore(ctx.small)
        for (const a of await t.files()) await store.delete(t.snapshot.resolvePath(a.path))
        await store.delete(commitKey(r.version))
        return r.metrics.numFilesRemoved
      },
      check: (n, ctx) => { if (n !== ctx.files) throw new Error(`optimize removed ${n} files, expected ${ctx.files}`) },
    },
    {
      name: 'lagomago toArrow before (small files)',
      run: async (ctx) => (await (await DeltaTable.open(ctx.small)).toArrow()).numRows,
      check: (n, ctx) => { if (n !== ctx.rows) throw new Error(`${n} rows, expected ${ctx.rows}`) },
    },
    {
      name: 'lagomago toArrow after (compacted)',
      run: async (ctx) => (await (await DeltaTable.open(ctx.compacted)).toArrow()).numRows,
      check: (n, ctx) => { if (n !== ctx.rows) throw new Error(`${n} rows, expected ${ctx.rows}`) },
    },
  ],
}
