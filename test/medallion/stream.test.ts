// The landing-folder stream: maxFilesPerTrigger, availableNow and processingTime triggers, files
// arriving while it runs, the explicit schema, and exactly-once across a crash at either side of
// the sink's commit (the replayed batch carries the same txn id).
import { mkdtemp, mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parquetWriteBuffer } from 'hyparquet-writer'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DeltaTable } from '../../src/index.js'
import { CastError } from '../../src/medallion/cast.js'
import { ingestFiles } from '../../src/medallion/bronze.js'
import { FileSource } from '../../src/medallion/file-source.js'
import { runStream, StreamingQuery, type MicroBatch } from '../../src/medallion/stream.js'
import type { FileOffset } from '../../src/medallion/file-source.js'
import type { StructType } from '../../src/schema/types.js'

const SCHEMA: StructType = {
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: false, metadata: {} },
    { name: 'amount', type: 'decimal(10,2)', nullable: true, metadata: {} },
    { name: 'day', type: 'date', nullable: true, metadata: {} },
  ],
}
const TABLE_SCHEMA: StructType = {
  type: 'struct',
  fields: [...SCHEMA.fields, { name: '_source_file', type: 'string', nullable: true, metadata: {} }, { name: '_ingested_at', type: 'timestamp', nullable: true, metadata: {} }, { name: '_rescued_data', type: 'string', nullable: true, metadata: {} }],
}

let dir: string
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'lagomago-stream-')) })
afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

/** A JSON-lines file of `n` rows with ids from `first`, landed atomically. */
async function land(name: string, first: number, n: number): Promise<void> {
  const landing = join(dir, 'landing')
  await mkdir(landing, { recursive: true })
  const lines = Array.from({ length: n }, (_, i) => JSON.stringify({ id: String(first + i), amount: `${first + i}.5`, day: '2024-03-01' }))
  await writeFile(join(landing, `.${name}.tmp`), lines.join('\n'))
  await rename(join(landing, `.${name}.tmp`), join(landing, name))
}

async function table(): Promise<DeltaTable> {
  return DeltaTable.create(join(dir, 'bronze'), { schema: TABLE_SCHEMA })
}

async function ids(t: DeltaTable): Promise<number[]> {
  await t.refresh()
  return (await t.toRows({ columns: ['id'] })).map((r) => Number(r.id)).sort((a, b) => a - b)
}

const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i)

describe('landing-folder stream', () => {
  it('availableNow takes every file once, at most maxFilesPerTrigger per batch, and a rerun takes nothing', async () => {
    for (let f = 0; f < 5; f++) await land(`f${f}.jsonl`, f * 10, 10)
    const t = await table()
    const opts = { landing: join(dir, 'landing'), schema: SCHEMA, checkpointLocation: join(dir, 'cp'), maxFilesPerTrigger: 2 }
    const seen: string[][] = []
    const s1 = await ingestFiles(t, { ...opts, onProgress: (p) => seen.push(p.files.map((f) => f.name)) })
    expect(seen).toEqual([['f0.jsonl', 'f1.jsonl'], ['f2.jsonl', 'f3.jsonl'], ['f4.jsonl']])
    expect(s1.numInputRows).toBe(50)
    expect(await ids(t)).toEqual(range(0, 50))
    expect(t.txns.get(s1.queryId)).toBe(2)
    const v = t.version
    const s2 = await ingestFiles(t, opts)
    expect(s2.batches).toEqual([])
    await t.refresh()
    expect(t.version).toBe(v)
    // values were cast by the declared schema: text → long, decimal, date; nothing rescued
    const row = (await t.toRows({ filter: 'id = 3' }))[0]
    expect(row).toMatchObject({ id: 3n, amount: '3.50', _source_file: 'f0.jsonl', _rescued_data: null })
    expect((row.day as Date).toISOString()).toBe('2024-03-01T00:00:00.000Z')
  })

  it('maxBytesPerTrigger caps a batch by size (at least one file per batch)', async () => {
    for (let f = 0; f < 4; f++) await land(`f${f}.jsonl`, 100 * (f + 1), f === 1 ? 40 : 10) // same-width ids: f0, f2, f3 equal in size
    const sizes = new Map((await (await import('../../src/medallion/raw-files.js')).listRawFiles(join(dir, 'landing'))).map((f) => [f.name, f.size]))
    const t = await table()
    const seen: string[][] = []
    await ingestFiles(t, { landing: join(dir, 'landing'), schema: SCHEMA, checkpointLocation: join(dir, 'cp'), maxBytesPerTrigger: 2 * sizes.get('f0.jsonl')!, onProgress: (p) => seen.push(p.files.map((f) => f.name)) })
    // f1 (4x bigger) alone exceeds the cap: it still goes, alone
    expect(seen).toEqual([['f0.jsonl'], ['f1.jsonl'], ['f2.jsonl', 'f3.jsonl']])
    expect(sizes.get('f2.jsonl')).toBe(sizes.get('f0.jsonl'))
    expect(await ids(t)).toEqual([...range(100, 110), ...range(200, 240), ...range(300, 310), ...range(400, 410)])
  })

  it('processingTime picks up files landing while it runs, never more than maxFilesPerTrigger at once', async () => {
    const t = await table()
    const controller = new AbortController()
    const batches: number[] = []
    const running = ingestFiles(t, {
      landing: join(dir, 'landing'), schema: SCHEMA, checkpointLocation: join(dir, 'cp'), maxFilesPerTrigger: 2,
      trigger: { processingTime: 15 }, signal: controller.signal, onProgress: (p) => batches.push(p.files.length),
    })
    await land('a0.jsonl', 0, 3)
    for (let f = 1; f < 7; f++) {
      await new Promise((r) => setTimeout(r, f % 2 ? 5 : 40))
      await land(`a${f}.jsonl`, f * 3, 3)
    }
    const deadline = Date.now() + 10_000
    while ((await ids(t)).length < 21 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    controller.abort()
    const summary = await running
    expect(await ids(t)).toEqual(range(0, 21))
    expect(batches.every((n) => n >= 1 && n <= 2)).toBe(true)
    expect(batches.reduce((a, b) => a + b, 0)).toBe(7)
    expect(summary.numInputRows).toBe(21)
  })

  it('a crash after the sink committed but before the checkpoint recorded it: the replay is skipped', async () => {
    for (let f = 0; f < 3; f++) await land(`f${f}.jsonl`, f * 10, 10)
    const t = await table()
    const source = () => new FileSource({ path: join(dir, 'landing'), schema: SCHEMA, maxFilesPerTrigger: 1 })
    let calls = 0
    const crashing = runStream<FileOffset, Set<string>>({
      source: source(), checkpointLocation: join(dir, 'cp'),
      foreachBatch: async (b) => {
        await t.refresh()
        const r = await t.append(b.rows, { txn: b.txn })
        if (++calls === 2) throw new Error('crash after commit')
        return r
      },
    })
    await expect(crashing).rejects.toThrow('crash after commit')
    expect(await ids(t)).toEqual(range(0, 20))
    const replays: MicroBatch<FileOffset>[] = []
    await runStream<FileOffset, Set<string>>({
      source: source(), checkpointLocation: join(dir, 'cp'),
      foreachBatch: async (b) => { replays.push(b); await t.refresh(); return t.append(b.rows, { txn: b.txn }) },
    })
    expect(replays.map((b) => [b.batchId, b.replayed, b.offset.files[0].name])).toEqual([[1, true, 'f1.jsonl'], [2, false, 'f2.jsonl']])
    expect(await ids(t)).toEqual(range(0, 30)) // f1 not appended twice
  })

  it('a crash before the sink committed: the replay writes the same files', async () => {
    for (let f = 0; f < 2; f++) await land(`f${f}.jsonl`, f * 10, 10)
    const t = await table()
    const q = new StreamingQuery<FileOffset, Set<string>>({
      source: new FileSource({ path: join(dir, 'landing'), schema: SCHEMA, maxFilesPerTrigger: 1 }), checkpointLocation: join(dir, 'cp'),
      foreachBatch: async (b) => { if (b.batchId === 1) throw new Error('crash before commit'); await t.refresh(); return t.append(b.rows, { txn: b.txn }) },
    })
    await expect(q.start()).rejects.toThrow('crash before commit')
    await land('f2.jsonl', 20, 10) // lands meanwhile: must not join the replayed batch
    const names: string[][] = []
    await runStream<FileOffset, Set<string>>({
      source: new FileSource({ path: join(dir, 'landing'), schema: SCHEMA, maxFilesPerTrigger: 1 }), checkpointLocation: join(dir, 'cp'),
      foreachBatch: async (b) => { names.push(b.offset.files.map((f) => f.name)); await t.refresh(); return t.append(b.rows, { txn: b.txn }) },
    })
    expect(names).toEqual([['f1.jsonl'], ['f2.jsonl']])
    expect(await ids(t)).toEqual(range(0, 30))
  })

  it('reads Parquet files; values the declared schema cannot hold are rescued with their file, or refused naming file, column, value and row', async () => {
    const landing = join(dir, 'landing')
    await mkdir(landing, { recursive: true })
    await writeFile(join(landing, 'p.parquet'), new Uint8Array(parquetWriteBuffer({ columnData: [
      { name: 'id', data: [1n, 2n], type: 'INT64' }, { name: 'amount', data: [1.25, 2], type: 'DOUBLE' }, { name: 'day', data: ['2024-03-02', '03/04/2024'], type: 'STRING' },
    ] })))
    await writeFile(join(landing, 'q.jsonl'), `${JSON.stringify({ id: 3, amount: '4.5' })}\n${JSON.stringify({ id: 4, amount: 'abc', extra: true })}`)
    const t = await table()
    const failed = await ingestFiles(t, { landing, schema: SCHEMA, checkpointLocation: join(dir, 'cp'), onError: 'fail' }).catch((e: unknown) => e)
    expect(failed).toBeInstanceOf(CastError)
    expect((failed as Error).message).toMatch(/cannot cast "03\/04\/2024" to date in column day at row 1 of p\.parquet/)
    expect(t.version).toBe(0)
    const bare = await DeltaTable.create(join(dir, 'bare'), { schema: { type: 'struct', fields: TABLE_SCHEMA.fields.filter((f) => f.name !== '_rescued_data') } })
    await expect(ingestFiles(bare, { landing, schema: SCHEMA, checkpointLocation: join(dir, 'cp2') })).rejects.toThrow(/has no rescued-data column _rescued_data/)
    expect(bare.version).toBe(0)

    await ingestFiles(t, { landing, schema: SCHEMA, checkpointLocation: join(dir, 'cp3') })
    const rows = await t.toRows({ columns: ['id', 'amount', 'day', '_rescued_data'] })
    rows.sort((a, b) => Number(a.id) - Number(b.id))
    expect(rows.map((r) => [r.id, r.amount, r.day instanceof Date ? r.day.toISOString().slice(0, 10) : r.day, r._rescued_data])).toEqual([
      [1n, '1.25', '2024-03-02', null], [2n, '2.00', null, '{"day":"03/04/2024","_file_path":"p.parquet"}'],
      [3n, '4.50', null, null], [4n, null, null, '{"amount":"abc","extra":true,"_file_path":"q.jsonl"}'],
    ])
  })
})

describe('checkpoint lock', () => {
  it('a second query on the same checkpoint is refused while the first runs; a dead owner\'s lock is taken over', async () => {
    await land('f0.jsonl', 0, 3)
    const t = await table()
    const controller = new AbortController()
    const first = ingestFiles(t, { landing: join(dir, 'landing'), schema: SCHEMA, checkpointLocation: join(dir, 'cp'), trigger: { processingTime: 10 }, signal: controller.signal })
    await new Promise((r) => setTimeout(r, 50))
    await expect(ingestFiles(t, { landing: join(dir, 'landing'), schema: SCHEMA, checkpointLocation: join(dir, 'cp') })).rejects.toThrow(/is in use by another streaming query/)
    controller.abort()
    await first
    // a lock left by a process that no longer exists (SIGKILL) does not block
    const { spawnSync } = await import('node:child_process')
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!
    await writeFile(join(dir, 'cp', 'lock'), JSON.stringify({ pid: dead, host: (await import('node:os')).hostname() }))
    await land('f1.jsonl', 3, 3)
    const s = await ingestFiles(t, { landing: join(dir, 'landing'), schema: SCHEMA, checkpointLocation: join(dir, 'cp') })
    expect(s.numInputRows).toBe(3)
    expect(await ids(t)).toEqual(range(0, 6))
  })
})
