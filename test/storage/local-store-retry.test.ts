// LocalStore's put-if-absent keeps the fsynced temp file of a write that lost, for a retry of the
// same bytes at the next key (a commit moving to the next version): what lands is always exactly the
// bytes asked for, and no temp file outlives its use for long.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { LocalStore } from '../../src/storage/local-store.js'

const root = mkdtempSync(join(tmpdir(), 'lagomago-local-retry-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
const text = (b: Uint8Array) => new TextDecoder().decode(b)
const bytes = (s: string) => new TextEncoder().encode(s)
const staging = async (store: LocalStore) => { const out: string[] = []; for await (const m of store.listStaging()) out.push(m.key); return out }

describe('LocalStore put-if-absent retried after a lost race', () => {
  it('links the kept temp file at the next key; what lands is the bytes asked for', async () => {
    const store = new LocalStore(join(root, 'a'))
    expect(await store.putIfAbsent('_delta_log/1.json', bytes('winner'))).toBe(true)
    const ours = bytes('ours')
    expect(await store.putIfAbsent('_delta_log/1.json', ours)).toBe(false)
    expect(await staging(store)).toHaveLength(1) // kept for the retry
    expect(await store.putIfAbsent('_delta_log/2.json', ours)).toBe(true)
    expect(text(await store.get('_delta_log/1.json'))).toBe('winner')
    expect(text(await store.get('_delta_log/2.json'))).toBe('ours')
    expect(await staging(store)).toEqual([])
  })

  it('never links a kept file for other bytes, even in a reused buffer', async () => {
    const store = new LocalStore(join(root, 'b'))
    await store.putIfAbsent('_delta_log/1.json', bytes('winner'))
    const buf = bytes('first')
    expect(await store.putIfAbsent('_delta_log/1.json', buf)).toBe(false)
    buf.set(bytes('other')) // same buffer, same length, new content
    expect(await store.putIfAbsent('_delta_log/2.json', buf)).toBe(true)
    expect(text(await store.get('_delta_log/2.json'))).toBe('other')
    expect(await store.putIfAbsent('_delta_log/3.json', bytes('first'))).toBe(true)
    expect(text(await store.get('_delta_log/3.json'))).toBe('first')
  })

  it('a kept file removed meanwhile is written afresh; an unused one is removed after a moment', async () => {
    const store = new LocalStore(join(root, 'c'))
    await store.putIfAbsent('k/1', bytes('winner'))
    expect(await store.putIfAbsent('k/1', bytes('ours'))).toBe(false)
    const [kept] = await staging(store)
    await store.delete(kept!)
    expect(await store.putIfAbsent('k/2', bytes('ours'))).toBe(true)
    expect(text(await store.get('k/2'))).toBe('ours')
    expect(await store.putIfAbsent('k/2', bytes('late'))).toBe(false)
    expect(await staging(store)).toHaveLength(1)
    await new Promise((r) => setTimeout(r, 1300))
    expect(await staging(store)).toEqual([])
  })
})
