// The storage contract as a reusable suite: every ObjectStore (memory, local, S3, Azure) must pass it.
// Call `storeContract(make)` inside a describe block; `make` returns a fresh, empty store.
import { expect, it } from 'vitest'
import { MissingFileError } from '../../src/errors.js'
import { asyncBufferFor, listAll, type ObjectStore } from '../../src/storage/index.js'

const bytes = (s: string) => new TextEncoder().encode(s)
const text = (b: Uint8Array) => new TextDecoder().decode(b)

export function storeContract(make: () => ObjectStore | Promise<ObjectStore>): void {
  it('reads back what it wrote, whole and by range', async () => {
    const s = await make()
    await s.put('a/b/c.txt', bytes('hello world'))
    expect(text(await s.get('a/b/c.txt'))).toBe('hello world')
    expect(text(await s.getRange('a/b/c.txt', 6, 11))).toBe('world')
    expect(text(await s.getRange('a/b/c.txt', 0, 1))).toBe('h')
    expect(text(await s.getRange('a/b/c.txt', 6, 100))).toBe('world') // a range past the end is cut
    expect((await s.getRange('a/b/c.txt', 3, 3)).length).toBe(0)
    expect((await s.head('a/b/c.txt'))?.size).toBe(11)
  })

  it('get returns every byte of empty, small and large objects (LocalStore reads small ones in one step)', async () => {
    const s = await make()
    const sizes = [0, 1, 64 * 1024 - 1, 64 * 1024, 64 * 1024 + 1, 3 * 1024 * 1024 + 7]
    for (const n of sizes) {
      const data = new Uint8Array(n)
      for (let i = 0; i < n; i++) data[i] = (i * 31 + n) & 0xff
      await s.put(`sizes/${n}.bin`, data)
    }
    for (const n of sizes) {
      const got = await s.get(`sizes/${n}.bin`)
      expect(got.length).toBe(n)
      let same = true
      for (let i = 0; i < n; i++) if (got[i] !== ((i * 31 + n) & 0xff)) { same = false; break }
      expect(same, `object of ${n} bytes`).toBe(true)
    }
  })

  it('put replaces an object', async () => {
    const s = await make()
    await s.put('k', bytes('one'))
    await s.put('k', bytes('two'))
    expect(text(await s.get('k'))).toBe('two')
    // a non-durable put (optional files) is still a complete, atomic replacement
    await s.put('k', bytes('three'), { durable: false })
    expect(text(await s.get('k'))).toBe('three')
  })

  it("a deferred put is in place when it resolves; the put-if-absent after it lands", async () => {
    const s = await make()
    await s.put('data/part-1.parquet', bytes('rows'), { durable: 'deferred' })
    expect(text(await s.get('data/part-1.parquet'))).toBe('rows')
    expect((await s.head('data/part-1.parquet'))?.size).toBe(4)
    expect(await s.putIfAbsent('_delta_log/00000000000000000000.json', bytes('{"add":{}}'))).toBe(true)
    expect(text(await s.get('_delta_log/00000000000000000000.json'))).toBe('{"add":{}}')
    expect(text(await s.get('data/part-1.parquet'))).toBe('rows')
  })

  it('missing keys: get throws MissingFileError, head is undefined, delete is a no-op', async () => {
    const s = await make()
    await expect(s.get('nope')).rejects.toBeInstanceOf(MissingFileError)
    await expect(s.getRange('nope', 0, 1)).rejects.toBeInstanceOf(MissingFileError)
    expect(await s.head('nope')).toBeUndefined()
    await s.delete('nope')
  })

  it('putIfAbsent: exactly one of 20 concurrent writers wins and its bytes stay', async () => {
    const s = await make()
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => s.putIfAbsent('_delta_log/00000000000000000001.json', bytes(`writer ${i}`))),
    )
    expect(results.filter(Boolean)).toHaveLength(1)
    const winner = results.indexOf(true)
    expect(text(await s.get('_delta_log/00000000000000000001.json'))).toBe(`writer ${winner}`)
    expect(await s.putIfAbsent('_delta_log/00000000000000000001.json', bytes('late'))).toBe(false)
  })

  it('lists by prefix in lexicographic order, after startAfter, recursive or one level', async () => {
    const s = await make()
    for (const k of ['_delta_log/00000000000000000002.json', '_delta_log/00000000000000000000.json',
      '_delta_log/00000000000000000001.json', '_delta_log/_sidecars/x.parquet', 'part-0.parquet', 'p=1/part-1.parquet']) {
      await s.put(k, bytes(k))
    }
    const keys = (await listAll(s, '_delta_log/')).map((m) => m.key)
    expect(keys).toEqual(['_delta_log/00000000000000000000.json', '_delta_log/00000000000000000001.json',
      '_delta_log/00000000000000000002.json', '_delta_log/_sidecars/x.parquet'])
    const oneLevel = (await listAll(s, '_delta_log/', { recursive: false })).map((m) => m.key)
    expect(oneLevel).not.toContain('_delta_log/_sidecars/x.parquet')
    const after = (await listAll(s, '_delta_log/0', { startAfter: '_delta_log/00000000000000000000.json' })).map((m) => m.key)
    expect(after).toEqual(['_delta_log/00000000000000000001.json', '_delta_log/00000000000000000002.json'])
    expect((await listAll(s, '')).map((m) => m.key)).toContain('p=1/part-1.parquet')
    const sizes = await listAll(s, 'p=1/')
    expect(sizes.map((m) => [m.key, m.size])).toEqual([['p=1/part-1.parquet', 'p=1/part-1.parquet'.length]])
    expect(sizes[0]!.mtime).toBeGreaterThan(Date.now() - 3_600_000)
  })

  it('keeps its own copy of a pooled Node Buffer, and ranges are exact', async () => {
    const s = await make()
    const pooled = Buffer.from('pooled bytes') // small Buffers share Node's allocation pool
    await s.put('b', pooled)
    pooled.fill(0)
    expect(text(await s.get('b'))).toBe('pooled bytes')
    const ab = await (await asyncBufferFor(s, 'b')).slice(0, 6)
    expect(ab.byteLength).toBe(6)
    expect(text(new Uint8Array(ab))).toBe('pooled')
  })

  it('keys with spaces, "=", "%" and non-ASCII characters round-trip', async () => {
    const s = await make()
    const key = 'p=a b%2F/ç=ü+x/part 0.parquet'
    await s.put(key, bytes('odd'))
    expect(text(await s.get(key))).toBe('odd')
    expect((await listAll(s, 'p=a b%2F/')).map((m) => m.key)).toEqual([key])
  })

  it('delete removes', async () => {
    const s = await make()
    await s.put('x', bytes('1'))
    await s.delete('x')
    expect(await s.head('x')).toBeUndefined()
  })
}
