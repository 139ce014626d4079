// Row tracking across every row-rewriting operation (PROTOCOL.md "Row Tracking"): a model-based
// property over random sequences of append / update / delete / merge / optimize / replaceWhere /
// restore. The model keeps, per logical row (its key), the stable row id first seen for it and the
// version that last inserted or updated it; the table read back with `rowTracking: true` must agree,
// and a new row's id must never have been seen before.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DeltaTable, MemoryStore } from '../../src/index.js'
import { parseActionLines } from '../../src/log/actions.js'

interface ModelRow { k: bigint; v: bigint; p: string; rowId?: bigint; version: number }
type Model = Map<bigint, ModelRow>

type Op =
  | { kind: 'append'; keys: number[] }
  | { kind: 'update'; mod: number; rem: number }
  | { kind: 'delete'; mod: number; rem: number }
  | { kind: 'merge'; keys: number[] }
  | { kind: 'optimize'; zorder: boolean }
  | { kind: 'replaceWhere'; below: number; keys: number[] }
  | { kind: 'restore'; back: number }

const keys = fc.uniqueArray(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 6 })
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('append' as const), keys }),
  fc.record({ kind: fc.constant('update' as const), mod: fc.integer({ min: 1, max: 4 }), rem: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ kind: fc.constant('delete' as const), mod: fc.integer({ min: 2, max: 5 }), rem: fc.integer({ min: 0, max: 4 }) }),
  fc.record({ kind: fc.constant('merge' as const), keys }),
  fc.record({ kind: fc.constant('optimize' as const), zorder: fc.boolean() }),
  fc.record({ kind: fc.constant('replaceWhere' as const), below: fc.integer({ min: 0, max: 40 }), keys }),
  fc.record({ kind: fc.constant('restore' as const), back: fc.integer({ min: 1, max: 3 }) }),
)

const part = (k: number | bigint) => (Number(k) % 2 === 0 ? 'even' : 'odd')
const clone = (m: Model): Model => new Map([...m].map(([k, r]) => [k, { ...r }]))

async function checkLog(store: MemoryStore, version: number): Promise<void> {
  // every add of every commit carries baseRowId and defaultRowCommitVersion; the high water mark
  // is at least every fresh id committed (PROTOCOL.md "Writer Requirements for Row Tracking")
  let hwm = -1
  for (let v = 1; v <= version; v++) {
    const actions = parseActionLines(new TextDecoder().decode(await store.get(`_delta_log/${String(v).padStart(20, '0')}.json`)))
    for (const a of actions) {
      if ('domainMetadata' in a && a.domainMetadata.domain === 'delta.rowTracking') hwm = Math.max(hwm, JSON.parse(a.domainMetadata.configuration).rowIdHighWaterMark)
    }
    // the table has row tracking enabled: every commit preserved the ids it copied
    const info = actions.find((a) => 'commitInfo' in a) as { commitInfo: { tags?: Record<string, string> } }
    expect(info.commitInfo.tags?.['delta.rowTracking.preserved'], `version ${v} tags`).toBe('true')
    for (const a of actions) {
      if (!('add' in a)) continue
      expect(typeof a.add.baseRowId, `add of version ${v}`).toBe('number')
      expect(typeof a.add.defaultRowCommitVersion).toBe('number')
      const n = JSON.parse(a.add.stats!).numRecords as number
      expect(a.add.baseRowId! + n - 1).toBeLessThanOrEqual(hwm)
    }
  }
}

async function run(ops: Op[], dv: boolean, partitioned: boolean, extras: { cdf: boolean; mapping: boolean }): Promise<void> {
  const store = new MemoryStore()
  const t = await DeltaTable.create(store, {
    schema: { type: 'struct', fields: [
      { name: 'k', type: 'long', nullable: false, metadata: {} }, { name: 'v', type: 'long', nullable: true, metadata: {} }, { name: 'p', type: 'string', nullable: true, metadata: {} },
    ] },
    partitionBy: partitioned ? ['p'] : [],
    properties: {
      'delta.enableRowTracking': 'true', 'delta.enableDeletionVectors': String(dv),
      ...(extras.cdf ? { 'delta.enableChangeDataFeed': 'true' } : {}), ...(extras.mapping ? { 'delta.columnMapping.mode': 'name' } : {}),
    },
  })
  let model: Model = new Map()
  const history = new Map<number, Model>([[0, new Map()]])
  const seen = new Set<bigint>()
  const rowsOf = (ks: number[], v: bigint) => ks.map((k) => ({ k: BigInt(k), v, p: part(k) }))
  for (const o of ops) {
    const before = t.version
    const next = before + 1
    const m = clone(model)
    switch (o.kind) {
      case 'append': {
        const fresh = o.keys.filter((k) => !m.has(BigInt(k)))
        if (!fresh.length) continue
        await t.append(rowsOf(fresh, 0n))
        for (const k of fresh) m.set(BigInt(k), { k: BigInt(k), v: 0n, p: part(k), version: next })
        break
      }
      case 'update':
        await t.update(`k % ${o.mod} = ${o.rem}`, { v: 'v + 1' })
        for (const r of m.values()) if (Number(r.k) % o.mod === o.rem) { r.v++; r.version = next }
        break
      case 'delete':
        await t.delete(`k % ${o.mod} = ${o.rem}`)
        for (const k of [...m.keys()]) if (Number(k) % o.mod === o.rem) m.delete(k)
        break
      case 'merge':
        await t.merge(rowsOf(o.keys, 7n), { on: ['k'] }).whenMatchedUpdateAll().whenNotMatchedInsertAll().execute()
        for (const k of o.keys) {
          const r = m.get(BigInt(k))
          if (r) { r.v = 7n; r.version = next } else m.set(BigInt(k), { k: BigInt(k), v: 7n, p: part(k), version: next })
        }
        break
      case 'optimize':
        await t.optimize(o.zorder ? { zOrderBy: ['v'] } : {})
        break
      case 'replaceWhere': {
        if (extras.cdf) continue // a partial replaceWhere with the change data feed on is refused (not row tracking's)
        const data = o.keys.filter((k) => k < o.below)
        await t.overwrite(rowsOf(data, 9n), { replaceWhere: `k < ${o.below}` })
        for (const k of [...m.keys()]) if (k < BigInt(o.below)) m.delete(k)
        for (const k of data) m.set(BigInt(k), { k: BigInt(k), v: 9n, p: part(k), version: next })
        break
      }
      case 'restore': {
        const to = before - o.back
        if (to < 0) continue
        await t.restore({ version: to })
        model = clone(history.get(to)!)
        history.set(t.version, clone(model))
        await expectModel()
        continue
      }
    }
    if (t.version === before) {
      expect([...m.values()].every((r) => model.get(r.k)?.version === r.version && model.get(r.k)?.v === r.v) && m.size === model.size, `${o.kind} changed rows without a commit`).toBe(true)
      continue
    }
    expect(t.version).toBe(next)
    model = m
    await expectModel()
    history.set(t.version, clone(model))
  }
  await checkLog(store, t.version)

  async function expectModel(): Promise<void> {
    const rows = await t.toRows({ rowTracking: true })
    expect(rows.length).toBe(model.size)
    const ids = new Set<bigint>()
    for (const r of rows) {
      const want = model.get(r.k as bigint)
      expect(want, `row ${r.k}`).toBeDefined()
      expect(r.v).toBe(want!.v)
      expect(r._row_commit_version, `commit version of row ${r.k}`).toBe(BigInt(want!.version))
      const id = r._row_id as bigint
      if (want!.rowId === undefined) {
        expect(seen.has(id), `fresh row id ${id} of row ${r.k} was used before`).toBe(false)
        want!.rowId = id
        seen.add(id)
      } else expect(id, `row id of row ${r.k}`).toBe(want!.rowId)
      expect(ids.has(id), `row id ${id} twice`).toBe(false)
      ids.add(id)
    }
  }
}

describe('row tracking through every operation', () => {
  it('stable row ids and commit versions match the model (fast-check)', async () => {
    await fc.assert(fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 8 }), fc.boolean(), fc.boolean(), fc.record({ cdf: fc.boolean(), mapping: fc.boolean() }), run), { numRuns: 60 })
  }, 120_000)
})
