import fc from 'fast-check'
import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CorruptDataError, MissingFileError } from '../../src/errors.js'
import type { DeletionVectorDescriptor } from '../../src/log/actions.js'
import {
  decodeRoaringBitmapArray, DeletionVector, dvStoreKey, encodeDeletionVectorFile, encodeRoaringBitmapArray,
  inlineDescriptor, readDeletionVector, uuidDescriptor, uuidDvRelativePath, uuidFromZ85, uuidToZ85, z85Decode, z85Encode,
} from '../../src/scan/deletion-vectors.js'
import { LocalStore } from '../../src/storage/local-store.js'
import { MemoryStore } from '../../src/storage/memory-store.js'
import { resolveLogPath } from '../../src/storage/paths.js'

const CORPUS = resolve(__dirname, '../../../shared/conformance/tables')

function memLoc(store = new MemoryStore()) {
  return { store, resolvePath: (p: string) => resolveLogPath(store.url, p).key as string }
}

describe('Z85', () => {
  it('decodes the spec example UUID and prefix', () => {
    expect(uuidDvRelativePath('ab^-aqEH.-t@S}K{vb[*k^')).toBe('ab/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin')
    expect(uuidToZ85('d2c639aa-8816-431a-aaf6-d3fe2512ff61')).toBe('^-aqEH.-t@S}K{vb[*k^')
  })
  it('matches the ZeroMQ reference vector', () => {
    const bytes = Uint8Array.from([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b])
    expect(z85Encode(bytes)).toBe('HelloWorld')
    expect([...z85Decode('HelloWorld')]).toEqual([...bytes])
  })
  it('round-trips any bytes (padding truncated by size)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      expect([...z85Decode(z85Encode(bytes), bytes.length)]).toEqual([...bytes])
    }))
  })
  it('round-trips UUIDs', () => {
    fc.assert(fc.property(fc.uuid(), (u) => { expect(uuidFromZ85(uuidToZ85(u))).toBe(u) }))
  })
  it('rejects bad characters and lengths', () => {
    expect(() => z85Decode('abcd')).toThrow(/multiple of 5/)
    expect(() => z85Decode('abc"e')).toThrow(/invalid Z85/)
  })
})

describe('RoaringBitmapArray', () => {
  it('decodes inline DVs of the corpus (incl. a right-aligned partial last group)', async () => {
    const dv: DeletionVectorDescriptor = { storageType: 'i', pathOrInlineDv: '^Bg9^0rr910000000000iXQKl0rr91000935c8Xg000311onP9', sizeInBytes: 40, cardinality: 4 }
    expect([...(await readDeletionVector(dv, memLoc())).rows]).toEqual([0, 1, 4, 5])
    const odd: DeletionVectorDescriptor = { storageType: 'i', pathOrInlineDv: '^Bg9^0rr910000000000iXQKl0rr91000005c8Xg##093', sizeInBytes: 34, cardinality: 1 }
    expect([...(await readDeletionVector(odd, memLoc())).rows]).toEqual([3])
    const v = new DeletionVector(Float64Array.from([3, 4, 7, 11, 18, 29]))
    expect([...v.selectionVector(8)]).toEqual([1, 1, 1, 0, 0, 1, 1, 0])
    expect(v.has(11)).toBe(true)
    expect(v.has(12)).toBe(false)
  })

  const rowSets = fc.oneof(
    fc.uniqueArray(fc.integer({ min: 0, max: 200_000 }), { maxLength: 300 }),
    // dense ranges: bitmap and run containers
    fc.tuple(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 1, max: 20_000 })).map(([s, n]) => Array.from({ length: n }, (_, i) => s + i)),
    fc.uniqueArray(fc.integer({ min: 0, max: 70_000 }), { minLength: 4500, maxLength: 6000 }),
    // several 32-bit buckets
    fc.uniqueArray(fc.integer({ min: 0, max: 2 ** 40 }), { maxLength: 50 }),
  ).map((a) => a.sort((x, y) => x - y))

  it('round-trips any set of row indexes', () => {
    fc.assert(fc.property(rowSets, (rows) => {
      const bytes = encodeRoaringBitmapArray(rows)
      expect([...decodeRoaringBitmapArray(bytes, rows.length)]).toEqual(rows)
    }), { numRuns: 60 })
  })

  it('round-trips through a DV file with offsets and checksums', async () => {
    await fc.assert(fc.asyncProperty(fc.array(rowSets, { minLength: 1, maxLength: 3 }), async (sets) => {
      const bitmaps = sets.map((s) => encodeRoaringBitmapArray(s))
      const { bytes, offsets } = encodeDeletionVectorFile(bitmaps)
      const loc = memLoc()
      const uuid = '0b7d4a1c-2f3e-4d5c-8a9b-0c1d2e3f4a5b'
      await loc.store.put(`xy/deletion_vector_${uuid}.bin`, bytes)
      for (let i = 0; i < sets.length; i++) {
        const dv = uuidDescriptor(uuid, 'xy', offsets[i], bitmaps[i], sets[i].length)
        expect(dvStoreKey(dv, loc)).toBe(`xy/deletion_vector_${uuid}.bin`)
        expect([...(await readDeletionVector(dv, loc)).rows]).toEqual(sets[i])
      }
    }), { numRuns: 20 })
  })

  it('round-trips inline descriptors', async () => {
    const rows = [0, 5, 6, 7, 8, 100_000]
    const dv = inlineDescriptor(rows)
    expect((await readDeletionVector(dv, memLoc())).rows).toEqual(Float64Array.from(rows))
  })

  it('reports a checksum mismatch naming table, file and DV path', async () => {
    const bitmap = encodeRoaringBitmapArray([1, 2, 3])
    const { bytes, offsets } = encodeDeletionVectorFile([bitmap])
    bytes[bytes.length - 1] ^= 0xff
    const loc = memLoc()
    const uuid = '0b7d4a1c-2f3e-4d5c-8a9b-0c1d2e3f4a5b'
    await loc.store.put(`deletion_vector_${uuid}.bin`, bytes)
    const dv = uuidDescriptor(uuid, '', offsets[0], bitmap, 3)
    const err = await readDeletionVector(dv, loc, { table: 'memory://t', version: 3, file: 'part-0.parquet' }).catch((e) => e)
    expect(err).toBeInstanceOf(CorruptDataError)
    expect(err.message).toMatch(/CRC-32/)
    expect(err.message).toContain('part-0.parquet')
    expect(err.message).toContain(`deletion_vector_${uuid}.bin`)
    expect(err.message).toContain('memory://t')
  })

  it('rejects a cardinality that disagrees with the bitmap, and truncated data', async () => {
    const dv = inlineDescriptor([1, 2, 3])
    await expect(readDeletionVector({ ...dv, cardinality: 2 }, memLoc())).rejects.toBeInstanceOf(CorruptDataError)
    await expect(readDeletionVector({ ...dv, cardinality: 4 }, memLoc())).rejects.toBeInstanceOf(CorruptDataError)
    const bytes = encodeRoaringBitmapArray([1, 2, 3])
    expect(() => decodeRoaringBitmapArray(bytes.subarray(0, bytes.length - 1), 3)).toThrow(CorruptDataError)
    expect(() => decodeRoaringBitmapArray(Uint8Array.from([1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0]), 3)).toThrow(/magic/)
  })

  it('reports a missing DV file as MissingFileError', async () => {
    const dv = uuidDescriptor('0b7d4a1c-2f3e-4d5c-8a9b-0c1d2e3f4a5b', '', 1, encodeRoaringBitmapArray([1]), 1)
    await expect(readDeletionVector(dv, memLoc())).rejects.toBeInstanceOf(MissingFileError)
  })

  it('selection vectors ignore rows past the end', () => {
    expect([...new DeletionVector(Float64Array.from([1, 9])).selectionVector(3)]).toEqual([1, 0, 1])
  })
})

describe('corpus deletion vectors', () => {
  const tables = ['delta__table-with-dv-small', 'kernelrs__with-short-dv', 'delta__table-with-dv-large', 'delta__partitioned-table-with-dv-large',
    'golden__dv-with-columnmapping', 'golden__dv-partitioned-with-checkpoint', 'kernelrs__cdf-table-with-dv', 'delta__basic-dv-no-checkpoint']
  for (const name of tables) {
    it(`reads every DV in the log of ${name}`, async () => {
      const root = join(CORPUS, name, 'delta')
      const store = new LocalStore(root)
      const loc = { store, resolvePath: (p: string) => resolveLogPath(store.url, p).key as string }
      let count = 0
      for (const f of readdirSync(join(root, '_delta_log')).filter((f) => f.endsWith('.json'))) {
        for (const line of readFileSync(join(root, '_delta_log', f), 'utf8').split('\n')) {
          if (!line.trim()) continue
          const action = JSON.parse(line)
          const dv = (action.add ?? action.remove)?.deletionVector as DeletionVectorDescriptor | undefined
          if (!dv) continue
          const v = await readDeletionVector(dv, loc, { table: root, file: (action.add ?? action.remove).path })
          expect(v.cardinality).toBe(dv.cardinality)
          count++
        }
      }
      expect(count).toBeGreaterThan(0)
    })
  }

  it('gives the known deleted rows of table-with-dv-small and with-short-dv', async () => {
    const small = join(CORPUS, 'delta__table-with-dv-small', 'delta')
    const store = new LocalStore(small)
    const dv: DeletionVectorDescriptor = { storageType: 'u', pathOrInlineDv: 'WYbkwCTB$gH)J7t?$/sK', offset: 1, sizeInBytes: 36, cardinality: 2 }
    const loc = { store, resolvePath: (p: string) => resolveLogPath(store.url, p).key as string }
    expect([...(await readDeletionVector(dv, loc)).rows]).toEqual([0, 9])
    const inline: DeletionVectorDescriptor = { storageType: 'i', pathOrInlineDv: '^Bg9^0rr910000000000iXQKl0rr91000315c8Xg000f5', sizeInBytes: 36, cardinality: 2 }
    expect((await readDeletionVector(inline, loc)).cardinality).toBe(2)
  })
})
