// The post-commit step of every write (table/post-commit.ts): a `.crc`, checkpoint or log-cleanup
// failure after the commit never fails the write, is reported in result.warnings and to onWarning
// (default console.warn once per kind), and the checkpoint that was due is written by the next commit.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { DeltaTable, MemoryStore, type WriteWarning } from '../../src/index.js'
import { FaultStore } from '../../src/testing.js'

const SCHEMA = { type: 'struct' as const, fields: [{ name: 'id', type: 'long' as const, nullable: false, metadata: {} }, { name: 'v', type: 'integer' as const, nullable: true, metadata: {} }] }
type Row = { id: bigint; v: number | null }
const DAY = 86_400_000

/** A table at version 2 (create + two appends, interval 3): the operation under test commits version 3. */
async function setup(): Promise<{ mem: MemoryStore; faults: FaultStore; t: DeltaTable; model: Row[] }> {
  const mem = new MemoryStore()
  const faults = new FaultStore(mem)
  const t = await DeltaTable.create(faults, { schema: SCHEMA, properties: { 'delta.checkpointInterval': '3' } })
  const model: Row[] = [{ id: 1n, v: 1 }, { id: 2n, v: 2 }, { id: 3n, v: 3 }]
  await t.append(model.slice(0, 2))
  await t.append(model.slice(2))
  expect(t.version).toBe(2)
  return { mem, faults, t, model }
}

/** Each operation, and what it does to the model's rows. */
type Op = { name: string; run: (t: DeltaTable, onWarning: (w: WriteWarning) => void) => Promise<{ version: number; warnings?: WriteWarning[] }>; apply: (rows: Row[]) => Row[] }
const OPS: Op[] = [
  { name: 'append', run: (t, onWarning) => t.append([{ id: 9n, v: 9 }], { onWarning }), apply: (r) => [...r, { id: 9n, v: 9 }] },
  { name: 'overwrite', run: (t, onWarning) => t.overwrite([{ id: 1n, v: 10 }], { replaceWhere: 'id = 1', onWarning }), apply: (r) => r.map((x) => (x.id === 1n ? { id: 1n, v: 10 } : x)) },
  { name: 'update', run: (t, onWarning) => t.update('id = 2', { v: 20 }, { onWarning }), apply: (r) => r.map((x) => (x.id === 2n ? { id: 2n, v: 20 } : x)) },
  { name: 'delete', run: (t, onWarning) => t.delete('id = 3', { onWarning }), apply: (r) => r.filter((x) => x.id !== 3n) },
  { name: 'optimize', run: (t, onWarning) => t.optimize({ onWarning }), apply: (r) => r },
  { name: 'restore', run: (t, onWarning) => t.restore({ version: 1, onWarning }), apply: (r) => r.slice(0, 2) },
  { name: 'setProperties', run: (t, onWarning) => t.setProperties({ 'delta.appendOnly': 'false' }, { onWarning }), apply: (r) => r },
  { name: 'merge', run: (t, onWarning) => t.merge([{ id: 2n, v: 22 }], { on: ['id'], onWarning }).whenMatchedUpdateAll().execute(), apply: (r) => r.map((x) => (x.id === 2n ? { id: 2n, v: 22 } : x)) },
  { name: 'merge (CDC)', run: (t, onWarning) => t.merge([{ id: 4n, v: 4 }], { keys: ['id'], onWarning }), apply: (r) => [...r, { id: 4n, v: 4 }] },
]

const sorted = (rows: Record<string, unknown>[]) => [...rows].map((x) => ({ id: x.id, v: x.v })).sort((a, b) => Number(a.id) - Number(b.id))
const isCheckpoint = (k: string) => /\.checkpoint\.parquet$|_last_checkpoint$/.test(k)
const isCrc = (k: string) => /\.crc$/.test(k)
const logKeys = async (mem: MemoryStore) => { const out: string[] = []; for await (const m of mem.list('_delta_log/')) out.push(m.key); return out }

describe('default warning handler', () => {
  afterEach(() => { vi.restoreAllMocks() })
  it('console.warn once per kind per process', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const { faults, t } = await setup()
    faults.arm([{ on: 'put', kind: 'error', times: Infinity, key: isCrc }])
    await t.append([{ id: 9n, v: 9 }])
    await t.append([{ id: 10n, v: 10 }])
    const r = await t.delete('id = 9')
    expect(r.warnings.map((w) => w.kind)).toEqual(['checksum'])
    expect(warn).toHaveBeenCalledTimes(1)
    expect(String(warn.mock.calls[0]![0])).toContain('checksum')
  })
})

describe('post-commit failures are warnings, and the missed checkpoint comes next', () => {
  for (const op of OPS) {
    it(`${op.name}: a failed .crc and checkpoint leave the commit standing, reported`, async () => {
      const { mem, faults, t, model } = await setup()
      faults.arm([{ on: 'put', kind: 'error', times: Infinity, key: (k) => isCheckpoint(k) || isCrc(k) }])
      const seen: WriteWarning[] = []
      const r = await op.run(t, (w) => seen.push(w))
      expect(r.version).toBe(3)
      const kinds = (r.warnings ?? []).map((w) => w.kind).sort()
      expect(kinds).toEqual(['checkpoint', 'checksum'])
      expect(seen).toEqual(r.warnings)
      for (const w of r.warnings!) {
        expect(w).toMatchObject({ table: t.url, version: 3 })
        expect(w.message).toContain('version 3')
        expect(w.cause).toBeInstanceOf(Error)
      }
      // committed and readable, by this handle and by a fresh one on the plain store
      const want = sorted(op.apply(model) as never)
      expect(sorted(await t.toRows())).toEqual(want)
      const fresh = await DeltaTable.open(mem)
      expect(fresh.version).toBe(3)
      expect(sorted(await fresh.toRows())).toEqual(want)
      expect((await logKeys(mem)).filter(isCheckpoint)).toEqual([])

      // the next commit (version 4, not a multiple of 3) writes the checkpoint that was missed
      faults.arm([])
      const next = await t.append([{ id: 50n, v: 50 }])
      expect(next.version).toBe(4)
      expect(next.warnings).toEqual([])
      expect((await logKeys(mem)).filter(isCheckpoint).sort()).toEqual(['_delta_log/00000000000000000004.checkpoint.parquet', '_delta_log/_last_checkpoint'])
      expect(JSON.parse(new TextDecoder().decode(await mem.get('_delta_log/_last_checkpoint'))).version).toBe(4)
      // and then no more until the next multiple
      await t.append([{ id: 51n, v: 51 }])
      expect((await logKeys(mem)).filter(isCheckpoint)).toHaveLength(2)
      expect(sorted(await (await DeltaTable.open(mem)).toRows())).toEqual(sorted([...op.apply(model), { id: 50n, v: 50 }, { id: 51n, v: 51 }] as never))
    })
  }

  it('a checkpoint missed by another writer (none for a whole interval) is written by the next commit', async () => {
    const { mem, t } = await setup()
    // another engine wrote versions 3..7 without checkpoints: simulate by a handle that cannot write them
    const faults = new FaultStore(mem, [{ on: 'put', kind: 'error', times: Infinity, key: isCheckpoint }])
    const other = await DeltaTable.open(faults)
    for (let i = 0; i < 5; i++) await other.append([{ id: BigInt(100 + i), v: i }], { onWarning: () => {} })
    expect((await logKeys(mem)).filter(isCheckpoint)).toEqual([])
    await t.refresh()
    await t.append([{ id: 200n, v: 0 }]) // version 8: the checkpoint due at 6 is missing
    expect(t.version).toBe(8)
    expect((await logKeys(mem)).filter((k) => k.endsWith('.checkpoint.parquet'))).toEqual(['_delta_log/00000000000000000008.checkpoint.parquet'])
  })

  it('several writers write a multiple\'s checkpoint once: the others leave it to its committer, then check _last_checkpoint', async () => {
    const { mem, t } = await setup()
    const other = await DeltaTable.open(mem) // a second writer, also at version 2
    const checkpoints = async () => (await logKeys(mem)).filter((k) => k.endsWith('.checkpoint.parquet')).map((k) => Number(/(\d{20})/.exec(k)![1]))
    await t.append([{ id: 10n, v: 10 }]) // version 3: its committer writes the checkpoint
    await other.append([{ id: 11n, v: 11 }]) // version 4: had not seen 3, leaves it to t
    await other.append([{ id: 12n, v: 12 }]) // version 5: had seen 3, finds it in _last_checkpoint
    expect(other.version).toBe(5)
    expect(await checkpoints()).toEqual([3])
    await other.append([{ id: 13n, v: 13 }]) // version 6: a multiple
    expect(await checkpoints()).toEqual([3, 6])
  })

  it('a multiple\'s checkpoint that its committer failed to write is caught up by a writer that had seen the multiple', async () => {
    const { mem, faults, t } = await setup()
    const other = await DeltaTable.open(mem)
    faults.arm([{ on: 'put', kind: 'error', times: Infinity, key: isCheckpoint }])
    const r = await t.append([{ id: 10n, v: 10 }], { onWarning: () => {} }) // version 3: checkpoint fails
    expect(r.warnings.map((w) => w.kind)).toEqual(['checkpoint'])
    await other.append([{ id: 11n, v: 11 }]) // version 4: had not seen 3
    expect((await logKeys(mem)).filter(isCheckpoint)).toEqual([])
    await other.append([{ id: 12n, v: 12 }]) // version 5: had seen 3, none recorded: writes one
    expect((await logKeys(mem)).filter(isCheckpoint).sort()).toEqual(['_delta_log/00000000000000000005.checkpoint.parquet', '_delta_log/_last_checkpoint'])
    expect(sorted(await (await DeltaTable.open(mem)).toRows()).map((x) => Number(x.id))).toEqual([1, 2, 3, 10, 11, 12])
  })

  it('another writer\'s missing checkpoint is left to its committer until the last commit before the next multiple', async () => {
    const { mem, faults, t } = await setup()
    await t.setProperties({ 'delta.checkpointInterval': '6' }) // version 3 (not a multiple of 6)
    const other = await DeltaTable.open(mem)
    const checkpoints = async () => (await logKeys(mem)).filter((k) => k.endsWith('.checkpoint.parquet')).map((k) => Number(/(\d{20})/.exec(k)![1]))
    await other.append([{ id: 20n, v: 20 }]) // version 4
    await other.append([{ id: 21n, v: 21 }]) // version 5
    faults.arm([{ on: 'put', kind: 'error', times: Infinity, key: isCheckpoint }])
    await t.refresh()
    const r = await t.append([{ id: 22n, v: 22 }], { onWarning: () => {} }) // version 6: its checkpoint fails
    expect(r.warnings.map((w) => w.kind)).toEqual(['checkpoint'])
    faults.arm([])
    await other.append([{ id: 23n, v: 23 }]) // version 7: had not seen 6
    await other.append([{ id: 24n, v: 24 }]) // versions 8–10: had seen 6, but the committer may still be writing it
    await other.append([{ id: 25n, v: 25 }])
    await other.append([{ id: 26n, v: 26 }])
    expect(other.version).toBe(10)
    expect(await checkpoints()).toEqual([])
    await other.append([{ id: 27n, v: 27 }]) // version 11, the last before the next multiple: none recorded, writes one
    expect(await checkpoints()).toEqual([11])
    expect(sorted(await (await DeltaTable.open(mem)).toRows()).map((x) => Number(x.id))).toEqual([1, 2, 3, 20, 21, 22, 23, 24, 25, 26, 27])
  })

  it('a log-cleanup failure is a logCleanup warning; DML runs the cleanup too', async () => {
    const { mem, faults, t } = await setup()
    await t.setProperties({ 'delta.logRetentionDuration': 'interval 1 days' }) // v3: checkpoint (nothing old yet)
    for (const k of await logKeys(mem)) {
      const m = /(\d{20})\./.exec(k)
      if (m && Number(m[1]) <= 3) mem.setMtime(k, Date.now() - 10 * DAY)
    }
    mem.setMtime('_delta_log/00000000000000000003.checkpoint.parquet', Date.now() - 10 * DAY)
    await t.append([{ id: 7n, v: 7 }]) // v4
    await t.append([{ id: 8n, v: 8 }]) // v5
    faults.arm([{ on: 'delete', kind: 'error', times: Infinity }])
    const seen: WriteWarning[] = []
    const r = await t.delete('id = 7', { onWarning: (w) => seen.push(w) }) // v6: checkpoint, then cleanup fails
    expect(r.version).toBe(6)
    expect(r.warnings.map((w) => w.kind)).toEqual(['logCleanup'])
    expect(seen).toEqual(r.warnings)
    expect((await logKeys(mem)).some((k) => k.endsWith('00000000000000000000.json'))).toBe(true)
    // without the fault, the next checkpointing DELETE removes the expired commits
    faults.arm([])
    await t.append([{ id: 9n, v: 9 }]) // v7
    await t.append([{ id: 10n, v: 10 }]) // v8
    const r2 = await t.delete('id = 8') // v9: checkpoint, cleanup
    expect(r2.warnings).toEqual([])
    const left = await logKeys(mem)
    expect(left.some((k) => k.endsWith('00000000000000000000.json'))).toBe(false)
    expect(sorted(await (await DeltaTable.open(mem)).toRows()).map((x) => Number(x.id))).toEqual([1, 2, 3, 9, 10])
  })

  it('a throwing onWarning does not fail the write', async () => {
    const { faults, t } = await setup()
    faults.arm([{ on: 'put', kind: 'error', times: Infinity, key: isCrc }])
    const r = await t.append([{ id: 9n, v: 9 }], { onWarning: () => { throw new Error('handler bug') } })
    expect(r.version).toBe(3)
    expect(r.warnings.map((w) => w.kind)).toEqual(['checksum'])
  })
})


describe('a commit the handle cannot read back', () => {
  it('is a committed write with a reload warning, not a failure; the handle stays put and refresh() catches up', async () => {
    const { mem, faults, t, model } = await setup()
    const commit3 = '_delta_log/00000000000000000003.json'
    faults.arm((['get', 'getRange', 'head', 'list'] as const).map((on) => ({ on, kind: 'error' as const, times: Infinity, key: (k: string) => k === commit3 || k === '_delta_log/' })))
    const seen: WriteWarning[] = []
    const r = await t.append([{ id: 9n, v: 9 }], { onWarning: (w) => seen.push(w) })
    expect(r.version).toBe(3)
    expect(r.warnings.map((w) => w.kind)).toEqual(['reload'])
    expect(seen).toEqual(r.warnings)
    expect(r.warnings[0]!.message).toMatch(/version 3 .* was committed .* stays at version 2/)
    expect(t.version).toBe(2)
    faults.arm([])
    // exactly once: the rows are in the table, and the handle reaches them
    const fresh = await DeltaTable.open(mem)
    expect(fresh.version).toBe(3)
    expect(sorted(await fresh.toRows())).toEqual(sorted([...model, { id: 9n, v: 9 }]))
    await t.refresh()
    expect(t.version).toBe(3)
    expect(sorted(await t.toRows())).toEqual(sorted([...model, { id: 9n, v: 9 }]))
  })
})
