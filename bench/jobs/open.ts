// Issue 2's open-latest job: a table with many commits (checkpoint every 10) and a table whose
// checkpoint holds 100,000 active files. Logs are synthetic (JSON commits written directly, the
// checkpoint by lagomago's own writer) and cached under bench/.data between runs.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Action, AddFile } from '../../src/log/actions.js'
import { writeCheckpoint } from '../../src/log/checkpoint-write.js'
import { commitKey } from '../../src/log/log-path.js'
import { loadSnapshot } from '../../src/log/snapshot.js'
import { LocalStore } from '../../src/storage/local-store.js'
import type { ObjectStore } from '../../src/storage/object-store.js'
import { DeltaTable } from '../../src/table/delta-table.js'
import type { Job } from '../harness.js'

const SCHEMA = JSON.stringify({ type: 'struct', fields: [
  { name: 'id', type: 'long', nullable: true, metadata: {} },
  { name: 'part', type: 'string', nullable: true, metadata: {} },
] })

function addAction(i: number, t: number): AddFile {
  const stats = JSON.stringify({ numRecords: 100, minValues: { id: i * 100, part: `p${i % 16}` }, maxValues: { id: i * 100 + 99, part: `p${i % 16}` }, nullCount: { id: 0, part: 0 } })
  return { path: `part=p${i % 16}/part-00000-${String(i).padStart(8, '0')}-c000.snappy.parquet`, partitionValues: { part: `p${i % 16}` }, size: 4096, modificationTime: t, dataChange: true, stats }
}

const line = (a: Action) => JSON.stringify(a)
const enc = (s: string) => new TextEncoder().encode(s)

const header = (t: number): Action[] => [
  { commitInfo: { timestamp: t, operation: 'CREATE TABLE', engineInfo: 'lagomago-bench' } },
  { protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
  { metaData: { id: 'bench', format: { provider: 'parquet', options: {} }, schemaString: SCHEMA, partitionColumns: ['part'], configuration: {}, createdTime: t } },
]

/** `commits` commits of one add each (every 7th also removes an older file), checkpoints every 10. */
async function buildManyCommits(dir: string, commits: number): Promise<ObjectStore> {
  const store = new LocalStore(dir)
  if (existsSync(join(dir, 'READY'))) return store
  mkdirSync(join(dir, '_delta_log'), { recursive: true })
  const t0 = 1_767_225_600_000
  for (let v = 0; v < commits; v++) {
    const t = t0 + v * 1000
    const actions: Action[] = v === 0 ? header(t) : [{ commitInfo: { timestamp: t, operation: 'WRITE', readVersion: v - 1 } }]
    actions.push({ add: addAction(v, t) })
    if (v % 7 === 6) actions.push({ remove: { path: addAction(v - 3, t).path, deletionTimestamp: t, dataChange: true } })
    writeFileSync(join(dir, ...commitKey(v).split('/')), actions.map(line).join('\n') + '\n')
    if (v > 0 && v % 10 === 0) await writeCheckpoint(await loadSnapshot(store))
  }
  writeFileSync(join(dir, 'READY'), '')
  return store
}

/** One commit with `files` adds, checkpointed, plus a few commits after it. */
async function buildWideCheckpoint(dir: string, files: number): Promise<ObjectStore> {
  const store = new LocalStore(dir)
  if (existsSync(join(dir, 'READY'))) return store
  const t0 = 1_767_225_600_000
  const first = header(t0)
  for (let i = 0; i < files; i++) first.push({ add: addAction(i, t0) })
  await store.put(commitKey(0), enc(first.map(line).join('\n') + '\n'))
  for (let v = 1; v <= 10; v++) {
    await store.put(commitKey(v), enc([{ commitInfo: { timestamp: t0 + v, operation: 'WRITE' } }, { add: addAction(files + v, t0 + v) }].map(line).join('\n') + '\n'))
  }
  await writeCheckpoint(await loadSnapshot(store))
  for (let v = 11; v <= 13; v++) {
    await store.put(commitKey(v), enc([{ commitInfo: { timestamp: t0 + v, operation: 'WRITE' } }, { add: addAction(files + v, t0 + v) }].map(line).join('\n') + '\n'))
  }
  writeFileSync(join(dir, 'READY'), '')
  return store
}

interface Ctx { store: ObjectStore; commits: number; files: number }

export const openManyCommits: Job<Ctx> = {
  name: 'open-10k-commits',
  description: 'Open the latest snapshot of a local table with 10,000 commits (one add each, a remove every 7th), a classic checkpoint every 10 commits. `--quick`: 1,000 commits.',
  goal: '< 100 ms',
  async setup({ quick, dataDir }) {
    const commits = quick ? 1_000 : 10_000
    const store = await buildManyCommits(join(dataDir, `open-commits-${commits}`), commits)
    const expected = (await loadSnapshot(store)).activeFiles().length
    return { store, commits, files: expected }
  },
  contenders: [
    {
      name: 'lagomago DeltaTable.open (latest)',
      run: async (ctx) => (await DeltaTable.open(ctx.store)).version,
      check: (v, ctx) => { if (v !== ctx.commits - 1) throw new Error(`opened version ${v}, expected ${ctx.commits - 1}`) },
    },
    {
      name: 'lagomago open + list active files',
      run: async (ctx) => (await (await DeltaTable.open(ctx.store)).files()).length,
      check: (n, ctx) => { if (n !== ctx.files) throw new Error(`${n} files, expected ${ctx.files}`) },
    },
  ],
}

export const openWideCheckpoint: Job<Ctx> = {
  name: 'open-100k-files',
  description: 'Open the latest snapshot of a local table whose classic checkpoint holds 100,000 active files (with stats), plus 3 commits after it. `--quick`: 10,000 files.',
  goal: '< 1 s',
  async setup({ quick, dataDir }) {
    const files = quick ? 10_000 : 100_000
    const store = await buildWideCheckpoint(join(dataDir, `open-files-${files}`), files)
    return { store, commits: 14, files: files + 13 }
  },
  contenders: [
    {
      name: 'lagomago DeltaTable.open (latest)',
      run: async (ctx) => (await DeltaTable.open(ctx.store)).version,
      check: (v) => { if (v !== 13) throw new Error(`opened version ${v}, expected 13`) },
    },
    {
      name: 'lagomago open + list active files',
      run: async (ctx) => (await (await DeltaTable.open(ctx.store)).files()).length,
      check: (n, ctx) => { if (n !== ctx.files) throw new Error(`${n} files, expected ${ctx.files}`) },
    },
  ],
}
