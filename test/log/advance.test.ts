// advanceSnapshot (a handle moving forward by reading only the new commits) must give exactly the
// snapshot a fresh load gives, whatever the commits did: appends, DV deletes, overwrites, property
// changes, txn ids, checkpoints in between, several versions at once.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { keyOf } from '../../src/log/replay.js'
import { advanceSnapshot, loadSnapshot, type Snapshot } from '../../src/log/snapshot.js'
import { MemoryStore } from '../../src/storage/memory-store.js'
import { DeltaTable } from '../../src/table/delta-table.js'

const schema = {
  type: 'struct' as const,
  fields: [
    { name: 'id', type: 'long' as const, nullable: false, metadata: {} },
    { name: 'p', type: 'string' as const, nullable: true, metadata: {} },
  ],
}

// A checkpoint spells absent optional fields as null where a JSON commit omits them.
const dropNulls = (v: unknown) => JSON.parse(JSON.stringify(v, (_k, x) => (x === null ? undefined : x)))

function summary(s: Snapshot) {
  const files = (xs: { path: string; deletionVector?: unknown }[]) => xs.map((f) => keyOf(f as never)).sort()
  return {
    version: s.version, protocol: dropNulls(s.protocol), metadata: dropNulls(s.metadata), timestamp: s.timestamp,
    txns: [...s.txns].sort(), domains: [...s.domainMetadata].sort(),
    adds: files(s.activeFiles()), removes: files(s.tombstones()), commitInfo: s.commitInfo,
  }
}

type Op = { kind: 'append'; ids: number[]; p: string } | { kind: 'delete'; below: number } | { kind: 'overwrite'; p: string }
  | { kind: 'props'; n: number } | { kind: 'txn'; app: string; v: number }

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('append' as const), ids: fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 5 }), p: fc.constantFrom('a', 'b') }),
  fc.record({ kind: fc.constant('delete' as const), below: fc.integer({ min: 0, max: 50 }) }),
  fc.record({ kind: fc.constant('overwrite' as const), p: fc.constantFrom('a', 'b') }),
  fc.record({ kind: fc.constant('props' as const), n: fc.integer({ min: 1, max: 9 }) }),
  fc.record({ kind: fc.constant('txn' as const), app: fc.constantFrom('x', 'y'), v: fc.integer({ min: 0, max: 5 }) }),
)

async function apply(t: DeltaTable, o: Op): Promise<void> {
  switch (o.kind) {
    case 'append': await t.append(o.ids.map((id) => ({ id: BigInt(id), p: o.p }))); break
    case 'delete': await t.delete(`id < ${o.below}`); break
    case 'overwrite': await t.overwrite([{ id: 1n, p: o.p }], { replaceWhere: `p = '${o.p}'` }); break
    case 'props': await t.setProperties({ 'delta.checkpointInterval': String(o.n) }); break
    case 'txn': await t.append([{ id: 99n, p: 'a' }], { txn: { appId: o.app, version: o.v } }); break
  }
}

describe('advanceSnapshot', () => {
  it('equals a fresh load after any sequence of commits, one or several versions at a time', async () => {
    let run = 0
    await fc.assert(fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 3 }), async (ops, stride) => {
      const store = new MemoryStore(`advance-${run++}`)
      const t = await DeltaTable.create(store, { schema, partitionBy: ['p'], properties: { 'delta.checkpointInterval': '3' } })
      let base = await loadSnapshot(store)
      for (let i = 0; i < ops.length; i++) {
        await apply(t, ops[i])
        if ((i + 1) % stride !== 0 && i < ops.length - 1) continue
        const advanced = await advanceSnapshot(base)
        expect(summary(advanced)).toEqual(summary(await loadSnapshot(store)))
        base = advanced
      }
    }), { numRuns: 25 })
  })

  it('goes to a named version, returns the same snapshot at its own version, and falls back for older ones', async () => {
    const store = new MemoryStore()
    const t = await DeltaTable.create(store, { schema })
    const v0 = t.snapshot
    await t.append([{ id: 1n, p: 'a' }])
    await t.append([{ id: 2n, p: 'a' }])
    expect(summary(await advanceSnapshot(v0, { version: 1 }))).toEqual(summary(await loadSnapshot(store, { version: 1 })))
    expect(await advanceSnapshot(t.snapshot, { version: t.version })).toBe(t.snapshot)
    expect(summary(await advanceSnapshot(t.snapshot, { version: 0 }))).toEqual(summary(v0))
    await expect(advanceSnapshot(v0, { version: 7 })).rejects.toThrow(/version 7/)
  })
})
