// Maintenance over the conformance corpus: every row-level table, copied into memory, keeps its
// latest rows through VACUUM (retention 0), OPTIMIZE and VACUUM again. Tables lagomago cannot read
// or cannot write (writer features it does not implement) are counted, not failed.
import { describe, expect, it } from 'vitest'
import { UnsupportedFeatureError } from '../../src/errors.js'
import { DeltaTable } from '../../src/table/delta-table.js'
import { canonRows, copyToMemory } from '../conformance/corpus-copy.js'
import { corpusAvailable, loadManifest, tableDir } from '../conformance/manifest.js'

describe.runIf(corpusAvailable())('maintenance over the conformance corpus', () => {
  it('latest rows survive VACUUM (retention 0), OPTIMIZE and VACUUM on every row-level table', async () => {
    const counts = { tables: 0, unreadable: 0, large: 0, notWritable: 0, optimized: 0, filesVacuumed: 0 }
    const far = () => Date.now() + 1000
    for (const entry of loadManifest().filter((e) => e.expectedStatus === 'row-level')) {
      counts.tables++
      const store = copyToMemory(tableDir(entry))
      let rows: string[]
      let t: DeltaTable
      try {
        t = await DeltaTable.open(store)
        // A million-row fixture (decimal dictionaries) would cost seconds per read: counted, skipped.
        const n = (await t.files()).reduce((sum, f) => sum + (f.stats ? Number(JSON.parse(f.stats).numRecords ?? 0) : 0), 0)
        if (n > 100_000) { counts.large++; continue }
        rows = canonRows(await t.toRows())
      } catch {
        counts.unreadable++
        continue
      }
      const check = async (step: string) => {
        const again = canonRows(await (await DeltaTable.open(store)).toRows())
        expect(again, `${entry.name} after ${step}`).toEqual(rows)
      }
      try {
        const v = await t.vacuum({ retentionHours: 0, enforceRetentionDuration: false, now: far })
        counts.filesVacuumed += v.filesDeleted.length
        expect(v.filesDeleted.some((k) => k.startsWith('_delta_log/')), entry.name).toBe(false)
        if (v.filesDeleted.length) await check('vacuum')
        const o = await t.optimize()
        if (o.versions.length) {
          counts.optimized++
          await check('optimize')
          await t.vacuum({ retentionHours: 0, enforceRetentionDuration: false, now: far })
          await check('optimize + vacuum')
        }
      } catch (e) {
        if (e instanceof UnsupportedFeatureError) { counts.notWritable++; continue }
        throw new Error(`${entry.name}: ${(e as Error).message}`, { cause: e })
      }
    }
    expect(counts.optimized).toBeGreaterThan(20)
    expect(counts.filesVacuumed).toBeGreaterThan(20)
    expect(counts.unreadable + counts.large + counts.notWritable).toBeLessThan(10)
  })
})
