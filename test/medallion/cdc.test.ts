// applyCdc, the pipeline's seam to the core's CDC merge, against a model written here: random
// histories over a few keys (inserts, updates, deletes, re-creates after a delete, several events
// per key in one batch), delivered shuffled over one or several batches. The model replays the
// batches with the CDC merge's rules (latest change per key by sequence; a delete of a key the table
// lacks does nothing; soft deletes flag the row; with ignoreOlderThanTarget a change older than the
// stored row is skipped); delivered in sequence order, the live rows are the history's last state.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DeltaTable, InvalidArgumentError, MemoryStore, UnknownOptionError } from '../../src/index.js'
import type { StructField, StructType } from '../../src/index.js'
import { applyCdc } from '../../src/medallion/cdc.js'

const field = (name: string, type: StructField['type'], nullable = true): StructField => ({ name, type, nullable, metadata: {} })
const schemaOf = (soft: boolean): StructType => ({
  type: 'struct',
  fields: [field('id', 'long', false), field('seq', 'long'), field('val', 'string'), ...(soft ? [field('_deleted', 'boolean')] : [])],
})

type Ev = { op: string; id: bigint; seq: bigint; val: string }
type State = Map<bigint, { val: string; seq: bigint; deleted: boolean }>

const INSERT = ['I', 'insert', 'c', 'r', 'i']
const UPDATE = ['U', 'update', 'u', 'upsert']
const DELETE = ['D', 'delete', 'd']
const isDelete = (op: string): boolean => DELETE.includes(op)

/** A history in truth order: per key alive/dead, so deletes hit live keys and inserts re-create dead ones. */
const historyArb = fc.array(fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 9 }), fc.string({ maxLength: 3 }), fc.nat(20)), { minLength: 1, maxLength: 30 })
  .map((steps) => {
    const alive = new Set<number>()
    return steps.map(([k, roll, val, spell], i): Ev => {
      let ops: string[]
      if (!alive.has(k)) { ops = INSERT; alive.add(k) } else if (roll < 3) { ops = DELETE; alive.delete(k) } else ops = UPDATE
      return { op: ops[spell % ops.length], id: BigInt(k), seq: BigInt(i + 1), val }
    })
  })

/** Split into batches of the given sizes (cycled). */
function split<T>(xs: T[], sizes: number[]): T[][] {
  const out: T[][] = []
  for (let i = 0, b = 0; i < xs.length; b++) { const n = sizes[b % sizes.length]; out.push(xs.slice(i, i + n)); i += n }
  return out
}

const sizesArb = fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 5 })

/** Shuffled arrival: any order, any split. */
const shuffledArb = fc.tuple(historyArb, sizesArb).chain(([h, sizes]) =>
  fc.shuffledSubarray(h, { minLength: h.length, maxLength: h.length }).map((order) => split(order, sizes)))

/** In-order arrival: batches in sequence order, rows within each batch shuffled. */
const inOrderArb = fc.tuple(historyArb, sizesArb).chain(([h, sizes]) =>
  fc.tuple(...split(h, sizes).map((b) => fc.shuffledSubarray(b, { minLength: b.length, maxLength: b.length }))))

/** The CDC merge's rules, batch by batch. */
function replay(batches: Ev[][], soft: boolean, ignoreOlder: boolean): State {
  const table: State = new Map()
  for (const batch of batches) {
    const latest = new Map<bigint, Ev>()
    for (const e of batch) if (!latest.has(e.id) || e.seq >= latest.get(e.id)!.seq) latest.set(e.id, e)
    for (const e of latest.values()) {
      const row = table.get(e.id)
      if (row && ignoreOlder && row.seq > e.seq) continue
      if (isDelete(e.op)) {
        if (!row) continue // a delete of a key the table lacks: nothing to do
        if (soft) table.set(e.id, { ...row, deleted: true, seq: e.seq })
        else table.delete(e.id)
      } else table.set(e.id, { val: e.val, seq: e.seq, deleted: false })
    }
  }
  return table
}

async function run(batches: Ev[][], soft: boolean, ignoreOlder: boolean): Promise<State> {
  const t = await DeltaTable.create(new MemoryStore(), { schema: schemaOf(soft), primaryKey: 'id', properties: { 'delta.enableChangeDataFeed': 'true' } })
  let v = 0
  for (const b of batches) {
    await applyCdc(t, b, { opColumn: 'op', sequence: 'seq', ignoreOlderThanTarget: ignoreOlder, txn: { appId: 'q', version: v++ }, ...(soft ? { softDelete: { column: '_deleted' } } : {}) })
  }
  const got: State = new Map()
  for (const r of await t.toRows()) got.set(r.id as bigint, { val: r.val as string, seq: r.seq as bigint, deleted: soft ? r._deleted === true : false })
  return got
}

const modes = fc.tuple(fc.boolean(), fc.boolean())

describe('applyCdc', () => {
  it('shuffled delivery over one or several batches: the table is the model\'s replay', async () => {
    await fc.assert(fc.asyncProperty(shuffledArb, modes, async (batches, [soft, ignoreOlder]) => {
      expect(await run(batches, soft, ignoreOlder)).toEqual(replay(batches, soft, ignoreOlder))
    }), { numRuns: 40 })
  })

  it('delivery in sequence order: the live rows are the history\'s last state per key', async () => {
    await fc.assert(fc.asyncProperty(inOrderArb, modes, async (batches, [soft, ignoreOlder]) => {
      const truth = new Map<bigint, string>()
      for (const e of batches.flat().sort((a, b) => Number(a.seq - b.seq))) {
        if (isDelete(e.op)) truth.delete(e.id)
        else truth.set(e.id, e.val)
      }
      const got = await run(batches, soft, ignoreOlder)
      expect(new Map([...got].filter(([, r]) => !r.deleted).map(([k, r]) => [k, r.val]))).toEqual(truth)
    }), { numRuns: 30 })
  })

  it('bronze -> silver: the change feed of several bronze commits, applied incrementally, leaves silver equal to bronze', async () => {
    await fc.assert(fc.asyncProperty(inOrderArb, fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 4 }), async (batches, every) => {
      const bronze = await DeltaTable.create(new MemoryStore(), { schema: schemaOf(false), primaryKey: 'id', properties: { 'delta.enableChangeDataFeed': 'true' } })
      const silver = await DeltaTable.create(new MemoryStore(), { schema: schemaOf(false), primaryKey: 'id' })
      let read = 0
      let run = 0
      const rows = async (t: DeltaTable) => (await t.toRows()).map((r) => [r.id, r.val, r.seq]).sort((a, b) => Number(a[0]) - Number(b[0]))
      for (let i = 0; i < batches.length; i++) {
        await bronze.merge(batches[i], { opColumn: 'op', sequence: 'seq' })
        if ((i + 1) % every[i % every.length] !== 0 && i < batches.length - 1) continue
        if (bronze.version === read) continue // the batch changed nothing (a delete of a key never there): no commit
        const r = await applyCdc(silver, await bronze.changes({ startVersion: read + 1, endVersion: bronze.version }), { txn: { appId: 'silver', version: run++ } })
        read = bronze.version
        expect(r.skipped || r.cdc?.format === 'delta-cdf').toBe(true)
        expect(await rows(silver)).toEqual(await rows(bronze))
      }
    }), { numRuns: 20 })
  })

  it('passes the feed format through: Debezium flattened deletes, a forced DMS feed', async () => {
    const t = await DeltaTable.create(new MemoryStore(), { schema: schemaOf(false), primaryKey: 'id' })
    await applyCdc(t, [{ __op: 'c', id: 1n, seq: 1n, val: 'a' }, { __op: 'c', id: 2n, seq: 2n, val: 'b' }])
    const r = await applyCdc(t, [{ __op: 'd', __deleted: 'true', id: 1n, seq: 3n, val: 'a' }])
    expect(r.cdc?.format).toBe('debezium')
    expect((await t.toRows()).map((x) => x.id)).toEqual([2n])
    const d = await applyCdc(t, [{ Op: 'D', id: 2n, seq: 4n, val: 'b' }], { format: 'dms' })
    expect(d.cdc?.format).toBe('dms')
    expect(await t.toRows()).toEqual([])
  })

  it('a batch whose txn version the table records is skipped, and so is an empty batch', async () => {
    const t = await DeltaTable.create(new MemoryStore(), { schema: schemaOf(false), primaryKey: 'id' })
    const r1 = await applyCdc(t, [{ op: 'I', id: 1n, seq: 1n, val: 'a' }], { txn: { appId: 'q', version: 0 } })
    const r2 = await applyCdc(t, [{ op: 'U', id: 1n, seq: 2n, val: 'b' }], { txn: { appId: 'q', version: 0 } })
    const r3 = await applyCdc(t, [], { txn: { appId: 'q', version: 1 } })
    expect(r1.skipped).toBe(false)
    expect(r2).toMatchObject({ skipped: true, version: r1.version })
    expect(r3).toMatchObject({ skipped: true, version: r1.version })
    expect((await t.toRows()).map((r) => r.val)).toEqual(['a'])
  })

  it('refuses unknown options (the medallion\'s old spellings too) and unknown ops, writing nothing', async () => {
    const t = await DeltaTable.create(new MemoryStore(), { schema: schemaOf(false), primaryKey: 'id' })
    await applyCdc(t, [{ op: 'I', id: 1n, seq: 1n, val: 'a' }])
    const v = t.version
    for (const bad of [{ op: 'op' }, { via: 'overwrite' }, { sequense: 'seq' }]) {
      const e = await applyCdc(t, [{ op: 'I', id: 2n }], bad as never).catch((x: unknown) => x)
      expect(e).toBeInstanceOf(UnknownOptionError)
      expect((e as Error).message).toContain(Object.keys(bad)[0])
    }
    await expect(applyCdc(t, [{ op: 'I', id: 3n }, { op: 'X', id: 4n }], { opColumn: 'op' })).rejects.toThrow(InvalidArgumentError)
    await expect(applyCdc(t, [{ op: 'I', id: 3n }, { op: 'X', id: 4n }], { opColumn: 'op' })).rejects.toThrow(/"X" in column op at row 1/)
    expect(t.version).toBe(v)
    expect((await t.toRows()).map((r) => r.id)).toEqual([1n])
  })
})
