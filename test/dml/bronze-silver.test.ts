// Bronze → silver through the Delta change data feed: a bronze table with the CDF on takes random
// commits (appends, updates, deletes, merges that re-create deleted keys); silver is fed
// `await silver.merge(await bronze.changes({ startVersion }))` incrementally over several runs, and
// after each run holds exactly bronze's latest rows (and a model of the history kept here).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DeltaTable, MemoryStore } from '../../src/index.js'
import type { StructField } from '../../src/index.js'

const f = (name: string, type: StructField['type'], nullable = true): StructField => ({ name, type, nullable, metadata: {} })
const SCHEMA = { type: 'struct' as const, fields: [f('id', 'long', false), f('v', 'string'), f('n', 'integer')] }

type Commit =
  | { kind: 'append'; ids: number[]; v: string }
  | { kind: 'update'; id: number; v: string }
  | { kind: 'delete'; ids: number[] }
  | { kind: 'merge'; changes: { id: number; del: boolean; v: string }[] }

const id = fc.integer({ min: 1, max: 8 })
const word = fc.stringMatching(/^[a-z]{0,2}$/)
const commitArb: fc.Arbitrary<Commit> = fc.oneof(
  fc.record({ kind: fc.constant('append' as const), ids: fc.uniqueArray(id, { minLength: 1, maxLength: 3 }), v: word }),
  fc.record({ kind: fc.constant('update' as const), id, v: word }),
  fc.record({ kind: fc.constant('delete' as const), ids: fc.uniqueArray(id, { minLength: 1, maxLength: 3 }) }),
  fc.record({ kind: fc.constant('merge' as const), changes: fc.array(fc.record({ id, del: fc.boolean(), v: word }), { minLength: 1, maxLength: 5 }) }),
)

const rowsOf = async (t: DeltaTable) => (await t.toRows()).sort((a, b) => Number(a.id) - Number(b.id)).map((r) => `${r.id}|${r.v}|${r.n}`)

describe('bronze → silver through the change data feed', () => {
  it('silver merged incrementally from bronze.changes() equals bronze after every run', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.array(commitArb, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 4 }), fc.boolean(),
      async (runs, dv) => {
        const properties = { 'delta.enableChangeDataFeed': 'true', 'delta.enableDeletionVectors': String(dv) }
        const bronze = await DeltaTable.create(new MemoryStore(), { schema: SCHEMA, primaryKey: 'id', properties })
        const silver = await DeltaTable.create(new MemoryStore(), { schema: SCHEMA, primaryKey: 'id' })
        const model = new Map<number, string>()
        let next = bronze.version + 1
        for (const run of runs) {
          for (const c of run) {
            // keys already in bronze are not appended again (bronze keeps one row per key)
            if (c.kind === 'append') {
              const fresh = c.ids.filter((k) => !model.has(k))
              if (!fresh.length) continue
              await bronze.append(fresh.map((k) => ({ id: BigInt(k), v: c.v, n: k })))
              for (const k of fresh) model.set(k, `${k}|${c.v}|${k}`)
            } else if (c.kind === 'update') {
              await bronze.update(`id = ${c.id}`, { v: `'${c.v}'`, n: 'n + 1' })
              const m = model.get(c.id)
              if (m) model.set(c.id, `${c.id}|${c.v}|${Number(m.split('|')[2]) + 1}`)
            } else if (c.kind === 'delete') {
              await bronze.delete(`id IN (${c.ids.join(', ')})`)
              for (const k of c.ids) model.delete(k)
            } else {
              await bronze.merge(c.changes.map((x) => ({ op: x.del ? 'D' : 'U', id: BigInt(x.id), v: x.v, n: -x.id })))
              const last = new Map(c.changes.map((x) => [x.id, x]))
              for (const [k, x] of last) if (x.del) model.delete(k); else model.set(k, `${k}|${x.v}|${-k}`)
            }
          }
          if (bronze.version >= next) {
            const r = await silver.merge(await bronze.changes({ startVersion: next }))
            expect(r.cdc).toEqual({ format: 'delta-cdf', opColumn: '_change_type', sequence: '_commit_version' })
            next = bronze.version + 1
          }
          const want = [...model.keys()].sort((a, b) => a - b).map((k) => model.get(k)!)
          expect(await rowsOf(bronze)).toEqual(want)
          expect(await rowsOf(silver)).toEqual(want)
        }
        expect(silver.schema.fields.map((x) => x.name)).toEqual(['id', 'v', 'n'])
      }), { numRuns: Number(process.env.CDC_RUNS ?? 25) })
  }, 120_000)
})
