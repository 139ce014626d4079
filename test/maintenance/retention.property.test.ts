// Property: whatever sequence of writes, MERGE/DELETE (merge-on-read DVs), deletion-vector deletes, RESTORE, OPTIMIZE, VACUUM and stray files
// happens under a simulated clock, every version inside the retention window reads exactly the rows
// it had, and a version outside it either still reads them or fails with MissingFileError.
import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { MissingFileError } from '../../src/errors.js'
import { DeltaTable } from '../../src/table/delta-table.js'
import { canon, deleteRowsWithDv, newTable, rowsOf } from './fixtures.js'

const HOUR = 3_600_000
const RETENTION = HOUR

type Op =
  | { kind: 'append'; part: 'a' | 'b'; n: number }
  | { kind: 'replace'; part: 'a' | 'b'; n: number }
  | { kind: 'dvDelete'; file: number; row: number; onDisk: boolean }
  | { kind: 'merge'; ids: number[]; part: 'a' | 'b' }
  | { kind: 'delete'; below: number }
  | { kind: 'optimize'; zorder: boolean }
  | { kind: 'restore'; back: number }
  | { kind: 'vacuum'; minutes: number }
  | { kind: 'orphan' }
  | { kind: 'tick'; minutes: number }

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('append' as const), part: fc.constantFrom('a' as const, 'b' as const), n: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('replace' as const), part: fc.constantFrom('a' as const, 'b' as const), n: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ kind: fc.constant('dvDelete' as const), file: fc.nat(20), row: fc.nat(5), onDisk: fc.boolean() }),
  fc.record({ kind: fc.constant('merge' as const), ids: fc.uniqueArray(fc.nat(30), { minLength: 1, maxLength: 4 }), part: fc.constantFrom('a' as const, 'b' as const) }),
  fc.record({ kind: fc.constant('delete' as const), below: fc.nat(30) }),
  fc.record({ kind: fc.constant('optimize' as const), zorder: fc.boolean() }),
  fc.record({ kind: fc.constant('restore' as const), back: fc.nat(6) }),
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('vacuum' as const), minutes: fc.integer({ min: 0, max: 150 }) }) },
  fc.record({ kind: fc.constant('orphan' as const) }),
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('tick' as const), minutes: fc.integer({ min: 5, max: 150 }) }) },
)

afterEach(() => { vi.useRealTimers() })

const stats = { vacuums: 0, deleted: 0, read: 0, gone: 0 }

describe('retention property', () => {
  it('no sequence of writes, optimize and vacuum makes a retained version unreadable', async () => {
    await fc.assert(fc.asyncProperty(fc.array(op, { minLength: 6, maxLength: 16 }), async (ops) => {
      vi.useFakeTimers({ toFake: ['Date'] })
      vi.setSystemTime(Date.UTC(2026, 2, 1, 12))
      const { store, t } = await newTable({ partitioned: true, properties: { 'delta.deletedFileRetentionDuration': 'interval 1 hours', 'delta.checkpointInterval': '4' } })
      const expected: string[] = [canon([])]
      let nextId = 0
      let orphans = 0
      const record = async () => {
        await t.refresh()
        const rows = canon(await t.toRows())
        while (expected.length <= t.version) expected.push(rows)
      }
      for (const o of ops) {
        switch (o.kind) {
          case 'append': await t.append(rowsOf(nextId, o.n, o.part)); nextId += o.n; break
          case 'replace': await t.overwrite(rowsOf(nextId, o.n, o.part), { replaceWhere: `part = '${o.part}'` }); nextId += o.n; break
          case 'dvDelete': {
            const files = await t.files()
            if (files.length === 0) break
            const f = files[o.file % files.length]
            // A DELETE-like commit: the file's DV becomes {row} (a new DV, as merge-on-read writes).
            const n = JSON.parse(f.stats!).numRecords as number
            await deleteRowsWithDv(store, f.path, [o.row % n], o.onDisk)
            break
          }
          case 'merge': {
            const source = o.ids.map((id) => ({ id: BigInt(id), part: o.part, v: id + 0.25 }))
            await t.merge(source, { on: ['id'] }).whenMatchedUpdateAll().whenNotMatchedInsertAll().execute()
            nextId = Math.max(nextId, ...o.ids.map((i) => i + 1))
            break
          }
          case 'delete': await t.delete(`id < ${o.below} AND id % 2 = 0`); break
          case 'optimize': await t.optimize(o.zorder ? { zOrderBy: ['v'] } : {}); break
          case 'restore': {
            // RESTORE brings back the rows of the target version, or fails naming a vacuumed file.
            const target = Math.max(0, t.version - 1 - o.back)
            try {
              await t.restore({ version: target })
              expect(canon(await t.toRows()), `restore to ${target}`).toBe(expected[target])
            } catch (e) {
              if (!(e instanceof MissingFileError)) throw e
            }
            break
          }
          case 'vacuum': vi.setSystemTime(Date.now() + o.minutes * 60_000); stats.deleted += (await t.vacuum()).filesDeleted.length; stats.vacuums++; break
          case 'orphan': await store.put(`part=a/part-9${orphans++}-failed-write.snappy.parquet`, new Uint8Array([1, 2, 3])); break
          case 'tick': vi.setSystemTime(Date.now() + o.minutes * 60_000); break
        }
        await record()
        if (o.kind !== 'vacuum') continue
        const cutoff = Date.now() - RETENTION
        const history = await t.history()
        const ts = new Map(history.map((h) => [h.version, h.timestamp as number]))
        for (let v = 0; v <= t.version; v++) {
          const next = ts.get(v + 1)
          const retained = v === t.version || (next !== undefined && next > cutoff + 2000)
          let got: string | undefined
          try {
            got = canon(await (await DeltaTable.open(store, { version: v })).toRows())
          } catch (e) {
            if (retained || !(e instanceof MissingFileError)) throw e
          }
          if (got !== undefined) { expect(got, `version ${v}`).toBe(expected[v]); stats.read++ } else stats.gone++
        }
      }
      // the final state also reads in full
      expect(canon(await (await DeltaTable.open(store)).toRows())).toBe(expected[expected.length - 1])
    }), { numRuns: 60 })
    // the runs exercised what they claim to: deletions happened and old versions became unreadable
    expect(stats.deleted).toBeGreaterThan(0)
    expect(stats.gone).toBeGreaterThan(0)
  })
})
