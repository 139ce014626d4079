// HttpStore (read-only, ranged GETs, log listing by probing) against a static file server that has no
// directory listings: conformance tables read over HTTP give the same rows as from disk, at the latest
// version and time-travelled, with and without checkpoints; writes fail with a typed error.
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HttpStore, registerCloudStores } from '../../src/cloud.js'
import { MissingFileError, ReadOnlyStoreError, UnsupportedFeatureError } from '../../src/errors.js'
import { DeltaTable } from '../../src/index.js'
import { listAll, openStore } from '../../src/storage/index.js'
import { LocalStore } from '../../src/storage/local-store.js'
import { startStaticServer, type StaticServer } from './static-server.js'

const CORPUS = join(import.meta.dirname, '../../../shared/conformance/tables')
const text = (b: Uint8Array) => new TextDecoder().decode(b)

let server: StaticServer
let noRanges: StaticServer
beforeAll(async () => {
  server = await startStaticServer({ '/tables/': CORPUS })
  noRanges = await startStaticServer({ '/tables/': CORPUS }, { ranges: false })
})
afterAll(async () => { await server.close(); await noRanges.close() })

const tableUrl = (name: string, s = server) => `${s.url}/tables/${name}/delta`

describe('HttpStore reads', () => {
  it('whole objects, ranges (also from a server without Range support), sizes, missing keys', async () => {
    for (const s of [server, noRanges]) {
      const store = new HttpStore(tableUrl('deltars__simple_table', s))
      const key = '_delta_log/00000000000000000000.json'
      const local = await new LocalStore(join(CORPUS, 'deltars__simple_table/delta')).get(key)
      expect(text(await store.get(key))).toBe(text(local))
      expect(await store.getRange(key, 10, 50)).toEqual(local.subarray(10, 50))
      expect((await store.getRange(key, local.length - 3, local.length + 100)).length).toBe(3)
      expect((await store.head(key))?.size).toBe(local.length)
      expect(await store.head('_delta_log/99999999999999999999.json')).toBeUndefined()
      await expect(store.get('nope')).rejects.toBeInstanceOf(MissingFileError)
      await expect(store.getRange('nope', 0, 4)).rejects.toBeInstanceOf(MissingFileError)
    }
  })

  it('writes throw ReadOnlyStoreError; listing outside _delta_log is unsupported', async () => {
    const store = new HttpStore(tableUrl('deltars__simple_table'))
    await expect(store.put('x', new Uint8Array(1))).rejects.toBeInstanceOf(ReadOnlyStoreError)
    await expect(store.putIfAbsent('_delta_log/00000000000000000005.json', new Uint8Array(1))).rejects.toBeInstanceOf(ReadOnlyStoreError)
    await expect(store.delete('x')).rejects.toBeInstanceOf(ReadOnlyStoreError)
    await expect(listAll(store, 'part-')).rejects.toBeInstanceOf(UnsupportedFeatureError)
    const t = await DeltaTable.open(store)
    await expect(t.append([{ id: 99n }])).rejects.toThrow(/read-only HTTP store/)
  })

  it('lists the log by probing: the same names a real listing finds, from _last_checkpoint or from a version', async () => {
    for (const name of ['deltars__simple_table', 'deltars__simple_table_with_checkpoint', 'deltars__checkpoint-v2-table']) {
      const local = new LocalStore(join(CORPUS, name, 'delta'))
      const http = new HttpStore(tableUrl(name))
      const isLogFile = (k: string) => /^_delta_log\/(\d{20}\.(json|checkpoint\.parquet|checkpoint\.[^/]+\.(json|parquet))|_last_checkpoint)$/.test(k)
      const want = (await listAll(local, '_delta_log/', { recursive: false })).map((m) => m.key).filter(isLogFile)
      const got = (await listAll(http, '_delta_log/', { recursive: false })).map((m) => m.key)
      // Probing finds the newest checkpoint and every commit; older checkpoints are not needed.
      expect(got.filter((k) => !k.includes('.checkpoint.'))).toEqual(want.filter((k) => !k.includes('.checkpoint.')))
      expect(got.filter((k) => k.includes('.checkpoint.'))).toEqual(want.filter((k) => k.includes('.checkpoint.')).slice(-1))
      const after = (await listAll(http, '_delta_log/', { startAfter: '_delta_log/00000000000000000002.~' })).map((m) => m.key)
      expect(after[0]).toBe('_delta_log/00000000000000000003.json')
    }
  })
  it('opening the latest version after a checkpoint costs 3 GETs and 3 HEADs, without listing anything', async () => {
    const store = new HttpStore(tableUrl('deltars__simple_table_with_checkpoint'))
    const t = await DeltaTable.open(store)
    expect(t.version).toBe(10)
    // GET _last_checkpoint, the checkpoint, commit 10; HEAD the checkpoint, commit 10, commit 11 (404).
    expect(store.requests).toMatchObject({ get: 3, head: 3, list: 0 })
  })
})

describe('conformance tables over HTTP equal the same tables on disk', () => {
  const tables: Array<[string, number]> = [
    ['deltars__simple_table', 2],
    ['deltars__simple_table_with_checkpoint', 3],
    ['deltars__checkpoint-v2-table', 4],
    ['deltars__table_failed_last_checkpoint_update', 0],
    ['delta__basic-dv-no-checkpoint', 0],
    ['golden__basic-with-inserts-deletes-checkpoint', 5],
    ['dat__basic_partitioned', 0],
  ]
  it.each(tables)('%s: latest and version %i', async (name, older) => {
    registerCloudStores()
    const local = await DeltaTable.open(join(CORPUS, name, 'delta'))
    const store = await openStore(tableUrl(name))
    expect(store).toBeInstanceOf(HttpStore)
    const remote = await DeltaTable.open(store)
    expect(remote.version).toBe(local.version)
    const key = (r: Record<string, unknown>) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))
    const sorted = async (t: DeltaTable) => (await t.toRows()).map(key).sort()
    expect(await sorted(remote)).toEqual(await sorted(local))
    const [l, r] = await Promise.all([DeltaTable.open(join(CORPUS, name, 'delta'), { version: older }), DeltaTable.open(tableUrl(name), { version: older })])
    expect(await sorted(r)).toEqual(await sorted(l))
  })
})
