import { describe, expect, it } from 'vitest'
import { DeltaTable, MemoryStore } from '../../src/index.js'
import { clearDvCache, DV_CACHE } from '../../src/dml/dv-writer.js'
import { clearKeyCache } from '../../src/dml/key-read.js'

const schema = { type: 'struct' as const, fields: [{ name: 'id', type: 'long' as const, nullable: false, metadata: {} }, { name: 'v', type: 'integer' as const, nullable: true, metadata: {} }] }

describe('cache of the deletion vectors a merge wrote', () => {
  it('merges read the same with the DVs they wrote cached, decoded from storage, or a cache too small to hold one', async () => {
    const saved = DV_CACHE.maxBytes
    try {
      const results: string[][] = []
      let onDisk = 0
      for (const mode of ['warm', 'cold', 'tiny'] as const) {
        clearDvCache()
        clearKeyCache()
        DV_CACHE.maxBytes = mode === 'tiny' ? 16 : saved
        const t = await DeltaTable.create(new MemoryStore(), { schema, primaryKey: 'id' })
        for (let f = 0; f < 3; f++) await t.append(Array.from({ length: 400 }, (_, i) => ({ id: BigInt(f * 400 + i), v: 0 })))
        for (let round = 1; round <= 5; round++) {
          if (mode === 'cold') clearDvCache()
          // enough deleted rows per file for an on-disk (not inline) DV
          await t.merge(Array.from({ length: 300 }, (_, i) => ({ op: i % 5 === 0 ? 'D' : 'U', id: BigInt((i * 53 + round * 101) % 1300), v: round })))
          if ((await t.files()).some((f) => f.deletionVector?.storageType === 'u')) onDisk++
        }
        results.push((await t.toRows()).map((r) => `${r.id}:${r.v}`).sort())
      }
      // DVs in files (not inline) were read back in later rounds
      expect(onDisk).toBeGreaterThan(6)
      expect(results[1]).toEqual(results[0])
      expect(results[2]).toEqual(results[0])
    } finally {
      DV_CACHE.maxBytes = saved
    }
  })
})
