import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { probeRaw, SORTED_PROBE } from '../../src/dml/key-read.js'
import { keyValues, sideBatch, SourceIndex } from '../../src/dml/join.js'
import { prng } from '../../bench/data.js'
import { bindExpr } from '../../src/expr/bind.js'

const scope = { sides: [{ name: 'source', schema: { type: 'struct' as const, fields: [{ name: 'id', type: 'long' as const, nullable: true, metadata: {} }] } }] }
const key = bindExpr({ kind: 'column', path: ['source', 'id'] }, scope)

/** probeRaw over a BigInt64Array target, and the pairs a naive join finds (`i:j`, deleted rows skipped). */
function probeBoth(target: bigint[], source: bigint[], del: number[]) {
  const index = new SourceIndex(keyValues([{ target: key, source: key, nullSafe: false }], 'source', sideBatch(source.length, { source: { columns: new Map([['id', source]]) } })))
  const deleted = Float64Array.from(new Set(del.filter((d) => d < target.length))).sort()
  const t: number[] = []
  const s: number[] = []
  probeRaw(BigInt64Array.from(target), deleted, index, t, s)
  const want: string[] = []
  target.forEach((v, i) => { if (!deleted.includes(i)) source.forEach((w, j) => { if (v === w) want.push(`${i}:${j}`) }) })
  return { index, deleted, t, s, want }
}

describe('integer-key probe', () => {
  it('finds exactly the pairs a naive join finds (negative, huge and boundary longs, deleted rows skipped)', () => {
    const edge = fc.constantFrom(0n, -1n, 2n ** 53n - 1n, -(2n ** 53n) + 1n, 2n ** 53n, -(2n ** 53n), 2n ** 63n - 1n, -(2n ** 63n), 2n ** 32n, -(2n ** 32n), 4294967295n)
    const long = fc.oneof(edge, fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.bigInt({ min: -50n, max: 50n }))
    fc.assert(fc.property(fc.array(long, { maxLength: 60 }), fc.array(long, { maxLength: 20 }), fc.array(fc.nat(59), { maxLength: 10 }), (target, source, del) => {
      const { index, deleted, t, s, want } = probeBoth(target, source, del)
      expect(t.map((x, k) => `${x}:${s[k]}`).sort()).toEqual(want.sort())
      // the generic path (plain arrays with nulls) agrees
      const t2: number[] = []
      const s2: number[] = []
      probeRaw([...target, null], deleted, index, t2, s2)
      expect(t2).toEqual(t)
    }), { numRuns: 300 })
  })
})

describe('integer-key probe paths', () => {
  // dense keys (a direct table: 32-bit, beyond, at the edge), sparse safe keys (the bit filter) and a mix with huge ones
  const domains = [fc.bigInt({ min: -30n, max: 30n }), fc.bigInt({ min: -30n, max: 30n }).map((v) => v + 2n ** 40n), fc.bigInt({ min: -30n, max: 30n }).map((v) => v - 2n ** 31n), fc.bigInt({ min: -(2n ** 40n), max: 2n ** 40n }).map((v) => v * 7919n), fc.oneof(fc.bigInt({ min: -30n, max: 30n }), fc.constantFrom(2n ** 63n - 1n, -(2n ** 53n) + 1n))]
  it('dense, sparse and huge keys with deleted rows give the naive join\'s pairs', () => {
    for (const dom of domains) {
      fc.assert(fc.property(fc.array(dom, { maxLength: 80 }), fc.uniqueArray(dom, { maxLength: 25 }), fc.array(fc.nat(79), { maxLength: 40 }), (target, source, del) => {
        const { index, deleted, t, s, want } = probeBoth(target, source, del)
        expect(t.map((x, k) => `${x}:${s[k]}`)).toEqual(want)
      }), { numRuns: 200 })
    }
  })
})

describe('sorted-column probe', () => {
  it('on an ascending column, binary searches give the linear probe\'s pairs in the same order', () => {
    const edge = fc.constantFrom(0n, -1n, 2n ** 53n - 1n, -(2n ** 53n) + 1n, 2n ** 53n, -(2n ** 53n), 2n ** 63n - 1n, -(2n ** 63n), 2n ** 32n, -(2n ** 32n), 4294967295n, 2147483648n)
    const long = fc.oneof(edge, fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.bigInt({ min: -20n, max: 20n }))
    const saved = SORTED_PROBE.minRowsPerKey
    try {
      fc.assert(fc.property(fc.array(long, { maxLength: 80 }), fc.array(long, { maxLength: 20 }), fc.array(fc.nat(79), { maxLength: 30 }), fc.boolean(), (target, source, del, sort) => {
        const values = BigInt64Array.from(target)
        if (sort) values.sort()
        const deleted = Float64Array.from(new Set(del.filter((d) => d < target.length))).sort()
        const run = (minRowsPerKey: number) => {
          SORTED_PROBE.minRowsPerKey = minRowsPerKey
          const index = new SourceIndex(keyValues([{ target: key, source: key, nullSafe: false }], 'source', sideBatch(source.length, { source: { columns: new Map([['id', source]]) } })))
          const t: number[] = []
          const s: number[] = []
          probeRaw(BigInt64Array.from(values), deleted, index, t, s)
          return t.map((x, k) => `${x}:${s[k]}`)
        }
        expect(run(0)).toEqual(run(Infinity))
      }), { numRuns: 400 })
    } finally {
      SORTED_PROBE.minRowsPerKey = saved
    }
  })
})

describe('hashed keys', () => {
  it('a BigInt64Array column hashes exactly as the same values in a plain array', () => {
    const edge = fc.constantFrom(0n, -1n, 2n ** 53n - 1n, -(2n ** 53n) + 1n, 2n ** 53n, -(2n ** 53n), 2n ** 63n - 1n, -(2n ** 63n), 2n ** 32n, -(2n ** 32n), 4294967295n, -4294967296n)
    const long = fc.oneof(edge, fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.bigInt({ min: -(2n ** 40n), max: 2n ** 40n }))
    fc.assert(fc.property(fc.array(long, { maxLength: 40 }), (values) => {
      const k = [{ target: key, source: key, nullSafe: false }]
      const typed = keyValues(k, 'source', sideBatch(values.length, { source: { columns: new Map([['id', BigInt64Array.from(values) as never]]) } }))
      const plain = keyValues(k, 'source', sideBatch(values.length, { source: { columns: new Map([['id', values]]) } }))
      expect(typed).toEqual(plain)
      typed.forEach((t, i) => expect(typeof t).toBe(typeof plain[i]))
    }), { numRuns: 500 })
  })
})

describe('key column cache', () => {
  it('merges read the same with a warm cache (files they wrote included), a cold one and a cache too small to hold a file', async () => {
    const { DeltaTable, MemoryStore } = await import('../../src/index.js')
    const { KEY_CACHE, clearKeyCache } = await import('../../src/dml/key-read.js')
    const saved = KEY_CACHE.maxBytes
    try {
      const results: string[][] = []
      for (const mode of ['warm', 'cold', 'tiny'] as const) {
        clearKeyCache()
        KEY_CACHE.maxBytes = mode === 'tiny' ? 16 : saved
        const t = await DeltaTable.create(new MemoryStore(), { schema: { type: 'struct', fields: [{ name: 'id', type: 'long', nullable: false, metadata: {} }, { name: 'v', type: 'integer', nullable: true, metadata: {} }] }, primaryKey: 'id' })
        await t.append(Array.from({ length: 500 }, (_, i) => ({ id: BigInt(i), v: 0 })))
        const rand = prng(11)
        for (let round = 1; round <= 6; round++) {
          if (mode === 'cold') clearKeyCache()
          // ids drawn again and again: later merges hit rows earlier merges wrote (their files' key
          // columns were cached as written)
          const ids = [...new Set(Array.from({ length: 60 }, () => Math.floor(rand() * 600)))]
          await t.merge(ids.map((id, i) => ({ op: i % 7 === 0 ? 'D' : 'U', id: BigInt(id), v: round })))
        }
        results.push((await t.toRows()).map((r) => `${r.id}:${r.v}`).sort())
      }
      expect(results[1]).toEqual(results[0])
      expect(results[2]).toEqual(results[0])
    } finally {
      KEY_CACHE.maxBytes = saved
    }
  })
})

describe('key read of files with a large footer', () => {
  it('a file of thousands of row groups (a footer past the first footer fetch) merges as a plain model says', async () => {
    const { DeltaTable, MemoryStore } = await import('../../src/index.js')
    const { clearKeyCache } = await import('../../src/dml/key-read.js')
    const { parquetMetadata } = await import('hyparquet')
    clearKeyCache()
    const store = new MemoryStore()
    const t = await DeltaTable.create(store, { schema: { type: 'struct', fields: [{ name: 'id', type: 'long', nullable: true, metadata: {} }, { name: 'v', type: 'integer', nullable: true, metadata: {} }, { name: 's', type: 'string', nullable: true, metadata: {} }] }, primaryKey: 'id' })
    const n = 12_000
    await t.append(Array.from({ length: n }, (_, i) => ({ id: BigInt(i * 2), v: 0, s: `r${i}` })), { rowGroupSize: 4 })
    const [file] = await t.files()
    const bytes = await store.get(file.path)
    const footer = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 8, 4).getUint32(0, true)
    expect(footer).toBeGreaterThan(1 << 16)
    expect(parquetMetadata(bytes.slice().buffer as ArrayBuffer).row_groups.length).toBe(n / 4)
    // the model: id → v
    const model = new Map<bigint, number>(Array.from({ length: n }, (_, i) => [BigInt(i * 2), 0]))
    const changes = Array.from({ length: 300 }, (_, k) => {
      const id = BigInt((k * 7919) % (2 * n + 50))
      return k % 5 === 0 ? { op: 'D', id } : { op: 'U', id, v: k + 1, s: 'x' }
    }).filter((c, i, all) => all.findIndex((d) => d.id === c.id) === i)
    for (const c of changes) {
      if (c.op === 'D') model.delete(c.id)
      else model.set(c.id, c.v!)
    }
    await t.merge(changes)
    const got = (await t.toRows({ columns: ['id', 'v'] })).map((r) => `${r.id}:${r.v}`).sort()
    expect(got).toEqual([...model].map(([id, v]) => `${id}:${v}`).sort())
  })
})
