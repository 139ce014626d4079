// Every `error` expectation of the shared conformance corpus raises the right DeltaError subclass,
// naming the table (test/conformance/log-kinds.test.ts checks only that opening fails). A new
// error case in the manifest fails here until its class is listed.
import { describe, expect, it } from 'vitest'
import { CorruptLogError, TableNotFoundError, UnsupportedFeatureError, type DeltaError } from '../../src/errors.js'
import { DeltaTable } from '../../src/table/delta-table.js'
import { casesOf, corpusAvailable, loadManifest, tableDir } from '../conformance/manifest.js'

/** The class each error case must raise, with why (the manifest's note, in our terms). */
const EXPECTED: Record<string, [new (...args: never[]) => DeltaError, RegExp]> = {
  'golden__deltalog-invalid-protocol-version': [UnsupportedFeatureError, /reader version 99|minReaderVersion/i],
  'golden__deltalog-state-reconstruction-from-checkpoint-missing-metadata': [CorruptLogError, /metaData/],
  'golden__deltalog-state-reconstruction-from-checkpoint-missing-protocol': [CorruptLogError, /protocol/],
  'golden__deltalog-state-reconstruction-without-metadata': [CorruptLogError, /metaData/],
  'golden__deltalog-state-reconstruction-without-protocol': [CorruptLogError, /protocol/],
  'golden__no-delta-log-folder': [TableNotFoundError, /_delta_log/],
  'golden__versions-not-contiguous': [CorruptLogError, /not contiguous/],
}

const available = corpusAvailable()

describe.skipIf(!available)('conformance error cases raise the right class', () => {
  const cases = available ? casesOf('error') : []
  const expectErrorTables = available ? loadManifest().filter((e) => e.expectedStatus === 'expect error').map((e) => e.name) : []

  it('every error case and every "expect error" table is covered', () => {
    const names = new Set([...cases.map((c) => c.entry.name), ...expectErrorTables])
    expect([...names].filter((n) => !EXPECTED[n]), 'add these to EXPECTED').toEqual([])
    expect(names.size).toBeGreaterThan(0)
  })

  for (const c of cases) {
    it(c.id, async () => {
      const expected = EXPECTED[c.entry.name]
      expect(expected, `no expected class for ${c.entry.name}`).toBeDefined()
      const [cls, reason] = expected
      const dir = tableDir(c.entry)
      const err = await DeltaTable.open(dir, { version: c.expectation.version })
        .then((t) => t.toRows())
        .then(() => undefined, (e: unknown) => e)
      expect(err, c.expectation.note as string).toBeInstanceOf(cls)
      const e = err as DeltaError
      expect(e.message).toMatch(reason)
      // Named by the last folder of its path (messages carry the table URL).
      expect(e.message.includes(c.entry.name) || e.table !== undefined, e.message).toBe(true)
    })
  }
})
