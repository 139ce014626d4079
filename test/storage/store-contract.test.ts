// The storage contract, run against every built-in store.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { MissingFileError } from '../../src/errors.js'
import { asyncBufferFor, asyncBufferFromBytes, listAll, MemoryStore, openStore, type ObjectStore } from '../../src/storage/index.js'
import { LocalStore } from '../../src/storage/local-store.js'

const dirs: string[] = []
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

const stores: Array<[string, () => ObjectStore]> = [
  ['MemoryStore', () => new MemoryStore()],
  ['LocalStore', () => {
    const d = mkdtempSync(join(tmpdir(), 'lagomago-store-'))
    dirs.push(d)
    return new LocalStore(d)
  }],
]

const bytes = (s: string) => new TextEncoder().encode(s)
const text = (b: Uint8Array) => new TextDecoder().decode(b)

describe.each(stores)('%s', (_name, make) => {
  it('reads back what it wrote, whole and by range', async () => {
    const s = make()
    await s.put('a/b/c.txt', bytes('hello world'))
    expect(text(await s.get('a/b/c.txt'))).toBe('hello world')
    expect(text(await s.getRange('a/b/c.txt', 6, 11))).toBe('world')
    expect((await s.head('a/b/c.txt'))?.size).toBe(11)
  })

  it('put replaces an object', async () => {
    const s = make()
    await s.put('k', bytes('one'))
    await s.put('k', bytes('two'))
    expect(text(await s.get('k'))).toBe('two')
  })

  it('missing keys: get throws MissingFileError, head is undefined, delete is a no-op', async () => {
    const s = make()
    await expect(s.get('nope')).rejects.toBeInstanceOf(MissingFileError)
    await expect(s.getRange('nope', 0, 1)).rejects.toBeInstanceOf(MissingFileError)
    expect(await s.head('nope')).toBeUndefined()
    await s.delete('nope')
  })

  it('putIfAbsent: exactly one of 20 concurrent writers wins and its bytes stay', async () => {
    const s = make()
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => s.putIfAbsent('_delta_log/00000000000000000001.json', bytes(`writer ${i}`))),
    )
    expect(results.filter(Boolean)).toHaveLength(1)
    const winner = results.indexOf(true)
    expect(text(await s.get('_delta_log/00000000000000000001.json'))).toBe(`writer ${winner}`)
    expect(await s.putIfAbsent('_delta_log/00000000000000000001.json', bytes('late'))).toBe(false)
  })

  it('lists by prefix in lexicographic order, after startAfter, recursive or one level', async () => {
    const s = make()
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
  })

  it('keeps its own copy of a pooled Node Buffer, and ranges are exact', async () => {
    const s = make()
    const pooled = Buffer.from('pooled bytes') // small Buffers share Node's allocation pool
    await s.put('b', pooled)
    pooled.fill(0)
    expect(text(await s.get('b'))).toBe('pooled bytes')
    const ab = await (await asyncBufferFor(s, 'b')).slice(0, 6)
    expect(ab.byteLength).toBe(6)
    expect(text(new Uint8Array(ab))).toBe('pooled')
  })

  it('delete removes', async () => {
    const s = make()
    await s.put('x', bytes('1'))
    await s.delete('x')
    expect(await s.head('x')).toBeUndefined()
  })
})

describe('asyncBufferFromBytes', () => {
  it('exposes exactly the bytes of a Buffer view, not its pool', async () => {
    const view = Buffer.from('abc')
    const ab = asyncBufferFromBytes(view)
    expect(ab.byteLength).toBe(3)
    expect(text(new Uint8Array(await ab.slice(0)))).toBe('abc')
  })
})

describe('openStore', () => {
  it('memory:// stores are shared by name', async () => {
    const a = await openStore('memory://shared-test')
    const b = await openStore('memory://shared-test')
    await a.put('k', bytes('v'))
    expect(text(await b.get('k'))).toBe('v')
    MemoryStore.drop('shared-test')
  })

  it('local paths and file:// URLs name the same folder', async () => {
    const d = mkdtempSync(join(tmpdir(), 'lagomago-open-'))
    dirs.push(d)
    const a = await openStore(d)
    const b = await openStore(`file://${d}`)
    await a.put('k', bytes('v'))
    expect(text(await b.get('k'))).toBe('v')
  })
})
