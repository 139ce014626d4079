// The storage contract (store-contract.ts), run against the built-in stores; test/cloud/ runs it
// against S3 (Ceph RGW) and Azure Blob (Azurite).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { asyncBufferFromBytes, MemoryStore, openStore, type ObjectStore } from '../../src/storage/index.js'
import { LocalStore } from '../../src/storage/local-store.js'
import { storeContract } from './store-contract.js'

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
  storeContract(make)
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
