// Writing to every table of the corpus as a user would (issue 20): on a copy of each table that
// opens and has rows, append its own rows again, DELETE the rows whose first column is not null,
// MERGE them back (whenNotMatchedInsertAll), OPTIMIZE. Each works with the rows a model in this test
// expects and a log the checks below accept, or is refused as the protocol demands (append-only,
// identity explicit values) with a typed error and the table unchanged. No other refusal.
import { describe, expect, it } from 'vitest'
import { ConstraintViolationError, DeltaTable, type MemoryStore } from '../../src/index.js'
import { parseActionLines, type Action } from '../../src/log/actions.js'
import { loadSnapshot } from '../../src/log/snapshot.js'
import { canonRows, copyToMemory } from './corpus-copy.js'
import { corpusAvailable, loadManifest, tableDir } from './manifest.js'

const canon = canonRows

/** What the protocol asks of the commits lagomago added after `from` (PROTOCOL.md "Actions", "Row Tracking", "Clustered Table"). */
async function checkLog(store: MemoryStore, from: number, name: string): Promise<void> {
  const snap = await loadSnapshot(store)
  const writers = snap.protocol.minWriterVersion >= 7 ? (snap.protocol.writerFeatures ?? []) : []
  const rowIds = writers.includes('rowTracking') && snap.properties['delta.rowTrackingSuspended'] !== 'true'
  for (let v = from + 1; v <= snap.version; v++) {
    const actions: Action[] = parseActionLines(new TextDecoder().decode(await store.get(`_delta_log/${String(v).padStart(20, '0')}.json`)))
    expect(Object.keys(actions[0]), `${name} v${v}`).toEqual(['commitInfo'])
    for (const a of actions) {
      if (!('add' in a)) continue
      expect(typeof JSON.parse(a.add.stats!).numRecords, `${name} v${v} ${a.add.path}`).toBe('number')
      if (rowIds) {
        expect(typeof a.add.baseRowId, `${name} v${v} baseRowId`).toBe('number')
        expect(typeof a.add.defaultRowCommitVersion, `${name} v${v} defaultRowCommitVersion`).toBe('number')
      }
      expect(await store.head(snap.resolvePath(a.add.path)), `${name} v${v} ${a.add.path} exists`).toBeDefined()
    }
  }
  if (rowIds) {
    // fresh row id ranges of the active files are disjoint and under the high water mark
    const hwm = JSON.parse(snap.domainMetadata.get('delta.rowTracking')?.configuration ?? '{"rowIdHighWaterMark":-1}').rowIdHighWaterMark as number
    const ranges = snap.activeFiles().filter((a) => typeof a.baseRowId === 'number')
      .map((a) => [a.baseRowId!, a.baseRowId! + (JSON.parse(a.stats ?? '{}').numRecords ?? 0)] as const).sort((x, y) => x[0] - y[0])
    for (let i = 1; i < ranges.length; i++) expect(ranges[i][0], `${name} row id ranges overlap`).toBeGreaterThanOrEqual(ranges[i - 1][1])
    if (ranges.length) expect(ranges[ranges.length - 1][1] - 1, `${name} high water mark`).toBeLessThanOrEqual(hwm)
  }
  if (writers.includes('clustering') || writers.includes('liquid')) {
    expect([...snap.domainMetadata.keys()].some((d) => d === 'delta.clustering' || d === 'delta.liquid'), `${name} clustering domain`).toBe(true)
  }
}

const quote = (c: string) => `\`${c.replace(/`/g, '``')}\``

describe.runIf(corpusAvailable())('the four writes over every corpus table', () => {
  it('append, DELETE, MERGE back, OPTIMIZE: expected rows or a protocol refusal', async () => {
    const counts = { tables: 0, operations: 0, worked: 0, refused: 0, skipped: 0 }
    const refusals: string[] = []
    for (const entry of loadManifest()) {
      const store = copyToMemory(tableDir(entry))
      let t: DeltaTable
      let rows: Record<string, unknown>[]
      try {
        t = await DeltaTable.open(store)
        const n = (await t.files()).reduce((s, f) => s + (f.stats ? Number(JSON.parse(f.stats).numRecords ?? 0) : 0), 0)
        if (n > 50_000) { counts.skipped++; continue }
        rows = await t.toRows()
      } catch {
        counts.skipped++ // does not open: the read tests own those
        continue
      }
      if (rows.length === 0) continue
      counts.tables++
      const first = t.schema.fields.find((f) => f.type !== 'void')!.name
      let model = rows
      const step = async (what: string, run: () => Promise<unknown>, expected: () => Record<string, unknown>[], allowed: (e: unknown) => boolean) => {
        counts.operations++
        const before = t.version
        try {
          await run()
        } catch (e) {
          if (!allowed(e)) throw new Error(`${entry.name}: ${what} refused: ${(e as Error).message}`, { cause: e })
          refusals.push(`${entry.name}: ${what}: ${(e as Error).name}`)
          counts.refused++
          const again = await DeltaTable.open(store)
          expect(again.version, `${entry.name} unchanged after refused ${what}`).toBe(before)
          expect(canon(await again.toRows()), `${entry.name} rows unchanged after refused ${what}`).toEqual(canon(model))
          return false
        }
        model = expected()
        expect(canon(await (await DeltaTable.open(store)).toRows()), `${entry.name} after ${what}`).toEqual(canon(model))
        await checkLog(store, before, `${entry.name} ${what}`)
        counts.worked++
        return true
      }
      const appendOnly = t.properties['delta.appendOnly'] === 'true'
      const identityExplicit = (e: unknown) => e instanceof ConstraintViolationError && /IDENTITY/.test((e as Error).message)
      await step('append', () => t.append(rows), () => [...model, ...rows], identityExplicit)
      const notNull = model.filter((r) => r[first] !== null && r[first] !== undefined)
      await step('delete', () => t.delete(`${quote(first)} IS NOT NULL`), () => model.filter((r) => r[first] === null || r[first] === undefined),
        (e) => appendOnly && e instanceof ConstraintViolationError)
      await step('merge', () => t.merge(notNull, { on: `t.${quote(first)} = s.${quote(first)}` }).whenNotMatchedInsertAll().execute(), () => {
        // inserted: source rows whose key matches no target row (null keys never match)
        const keys = new Set(canon(model.map((r) => ({ k: r[first] }))))
        return [...model, ...notNull.filter((r) => r[first] === null || !keys.has(canon([{ k: r[first] }])[0]))]
      }, identityExplicit)
      await step('optimize', () => t.optimize(), () => model, () => false)
    }
    // eslint-disable-next-line no-console
    console.log(`write-everywhere: ${JSON.stringify(counts)}; refusals: ${refusals.join('; ')}`)
    expect(counts.tables).toBeGreaterThan(100)
    expect(refusals.every((r) => /ConstraintViolationError/.test(r))).toBe(true)
  }, 240_000)
})
