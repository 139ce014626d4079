// The demo's raw data generator: deterministic, prefix-stable when more files are asked for, and
// realistic enough to exercise the pipeline (updates, deletes, late and duplicate events).
import { describe, expect, it } from 'vitest'
import { generateData } from '../../src/medallion/demo/generator.js'

describe('generateData', () => {
  it('is deterministic and asking for more files extends the same history', () => {
    const a = generateData({ seed: 3, cdcFiles: 4 })
    expect(generateData({ seed: 3, cdcFiles: 4 })).toEqual(a)
    const b = generateData({ seed: 3, cdcFiles: 6 })
    expect(b.extracts).toEqual(a.extracts)
    expect(b.cdc.slice(0, 3)).toEqual(a.cdc.slice(0, 3))
    // the last file of the shorter run also holds the events the longer run delivers one file late
    const key = (e: { seq: bigint; op: string }) => `${e.seq}:${e.op}`
    const longer = new Set([...b.cdc[3], ...b.cdc[4]].map(key))
    expect(a.cdc[3].every((e) => longer.has(key(e)))).toBe(true)
    expect(generateData({ seed: 4, cdcFiles: 4 })).not.toEqual(a)
  })

  it('has inserts, updates, deletes, late events and stale duplicates', () => {
    const { cdc, extracts } = generateData({})
    const ops = new Set(cdc.flat().map((e) => e.op))
    expect(ops).toEqual(new Set(['I', 'U', 'D']))
    let late = 0, dup = 0
    const seen = new Set<bigint>()
    for (let f = 1; f < cdc.length; f++) {
      const maxBefore = cdc[f - 1].reduce((m, e) => (e.seq > m ? e.seq : m), 0n)
      late += cdc[f].filter((e) => e.seq < maxBefore).length
    }
    for (const e of cdc.flat()) { if (seen.has(e.seq)) dup++; seen.add(e.seq) }
    expect(late).toBeGreaterThan(0)
    expect(dup).toBeGreaterThan(0)
    expect(extracts.length).toBe(3)
    expect(extracts[2].length).toBeGreaterThan(extracts[0].length)
  })
})
