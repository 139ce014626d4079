// Faults on the wire between the stores and real servers (RGW, Azurite), one at a time through the
// fault proxy, each scripted at the request it must hit: a truncated or trickled body, a lost reply
// on a commit and then a truncated read-back, a commit PUT that never gets through, a reply delayed
// past the timeout, a lost reply on a multipart complete / block list, rotated S3 keys. Each was a
// failure the caller saw (or a wrong outcome) before the fix named in docs/reliability.md.
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest'
import { CommitOutcomeUnknownError, DeltaError, DeltaTable, StorageError } from '../../src/index.js'
import { listAll, type ObjectStore } from '../../src/storage/index.js'
import type { AwsCredentials } from '../../src/storage/sigv4.js'
import type { RetryOptions } from '../../src/storage/http-common.js'
import { FaultProxy, type FaultKind, type RequestInfo } from './fault-proxy.js'
import { azureServer, azureStoreFor, describeWithServer, s3Server, s3StoreFor, uniquePrefix } from './servers.js'

const bytes = (s: string) => new TextEncoder().encode(s)
const text = (b: Uint8Array) => new TextDecoder().decode(b)
const SCHEMA = { type: 'struct' as const, fields: [{ name: 'id', type: 'long' as const, nullable: false, metadata: {} }] }
const RETRY: RetryOptions = { baseDelayMs: 5, timeoutMs: 2000 }

/** The fault for each request: the first rule whose test matches and still has uses left. */
type Rule = { when: (r: RequestInfo) => boolean; fault: FaultKind; times: number }

interface Harness {
  proxy: FaultProxy
  rules: Rule[]
  /** A store through the proxy and one direct to the server, on the same prefix. */
  stores(prefix: string, retry?: RetryOptions): { via: ObjectStore; direct: ObjectStore }
}

function harness(make: (endpoint: string, prefix: string, retry: RetryOptions, direct: boolean) => ObjectStore, upstream: string, flavor: 's3' | 'azure',
  prepare: () => Promise<void>, extra: Partial<ConstructorParameters<typeof FaultProxy>[0]> = {}): Harness {
  const rules: Rule[] = []
  const proxy = new FaultProxy({
    upstream, flavor, delayMs: 3000, ...extra,
    decide: (r) => {
      const rule = rules.find((x) => x.times > 0 && x.when(r))
      if (!rule) return undefined
      rule.times--
      return rule.fault
    },
  })
  beforeAll(async () => { await proxy.start(); await prepare() })
  beforeEach(() => { rules.length = 0 })
  afterAll(() => proxy.close())
  return { proxy, rules, stores: (prefix, retry = RETRY) => ({ via: make(proxy.url, prefix, retry, false), direct: make(upstream, prefix, retry, true) }) }
}

const isCommitPut = (r: RequestInfo) => r.cls === 'commit'
const commitGet = (v: number) => (r: RequestInfo) => r.cls === 'get' && r.url.includes(`_delta_log/${String(v).padStart(20, '0')}.json`)

function netFaultSuite(h: Harness): void {
  it('a truncated body, whole or ranged, is retried: reads return the exact bytes (and a trickled one too)', async () => {
    const { via, direct } = h.stores(uniquePrefix('trunc'))
    const data = new Uint8Array(64 * 1024).map((_, i) => (i * 7) & 0xff)
    await direct.put('f.bin', data)
    h.rules.push({ when: (r) => r.cls === 'get', fault: 'truncate', times: 1 }, { when: (r) => r.cls === 'range', fault: 'truncate', times: 1 })
    expect(Buffer.compare(await via.get('f.bin'), data)).toBe(0)
    expect(Buffer.compare(await via.getRange('f.bin', 1000, 9000), data.subarray(1000, 9000))).toBe(0)
    h.rules.push({ when: (r) => r.cls === 'get' || r.cls === 'range', fault: 'trickle', times: 2 })
    expect(Buffer.compare(await via.getRange('f.bin', 10, 3000), data.subarray(10, 3000))).toBe(0)
    expect(Buffer.compare(await via.get('f.bin'), data)).toBe(0)
  })

  it('a body truncated at every attempt is a StorageError naming the request and key, never a short result', async () => {
    const { via, direct } = h.stores(uniquePrefix('trunc-all'))
    await direct.put('g.bin', new Uint8Array(5000).fill(7))
    h.rules.push({ when: (r) => r.cls === 'get', fault: 'truncate', times: 4 })
    const e = await via.get('g.bin').then(() => undefined, (x: unknown) => x)
    expect(e).toBeInstanceOf(StorageError)
    expect((e as Error).message).toMatch(/GET .*g\.bin/)
    expect((e as StorageError).file).toBe('g.bin')
    h.rules.length = 0
  })

  it('a lost reply on the commit PUT whose read-back body is cut: the append is reported committed, once', async () => {
    const { via, direct } = h.stores(uniquePrefix('lost-commit'))
    const t = await DeltaTable.create(via, { schema: SCHEMA })
    h.rules.push({ when: isCommitPut, fault: 'lostReply', times: 1 }, { when: commitGet(1), fault: 'truncate', times: 1 })
    const r = await t.append([{ id: 1n }, { id: 2n }])
    expect(r.version).toBe(1)
    expect(h.rules.every((x) => x.times === 0)).toBe(true)
    const back = await DeltaTable.open(direct)
    expect(back.version).toBe(1)
    expect((await back.toRows()).map((x) => x.id).sort()).toEqual([1n, 2n])
  })

  it('a commit PUT that never gets through: CommitOutcomeUnknownError naming table and version; a retry with the same txn commits once', async () => {
    const { via, direct } = h.stores(uniquePrefix('unknown'))
    const t = await DeltaTable.create(via, { schema: SCHEMA })
    h.rules.push({ when: isCommitPut, fault: 'reset', times: 1000 })
    const txn = { appId: 'net-faults', version: 1 }
    const e = await t.append([{ id: 5n }], { txn }).then(() => undefined, (x: unknown) => x)
    h.rules.length = 0
    expect(e).toBeInstanceOf(CommitOutcomeUnknownError)
    expect((e as CommitOutcomeUnknownError).version).toBe(1)
    expect((e as CommitOutcomeUnknownError).txnId).toMatch(/^[0-9a-f-]{36}$/)
    expect((e as Error).message).toContain(t.url)
    expect((await listAll(direct, '_delta_log/')).map((m) => m.key).filter((k) => k.endsWith('.json'))).toHaveLength(1)
    // What the error says a caller may do: repeat the write with the same txn (idempotent).
    await t.refresh()
    await t.append([{ id: 5n }], { txn })
    await t.append([{ id: 5n }], { txn }) // already recorded: skipped
    const back = await DeltaTable.open(direct)
    expect(back.version).toBe(1)
    expect((await back.toRows()).map((x) => x.id)).toEqual([5n])
  })

  it('a commit file the network never delivers: opening fails with StorageError naming it, not a "corrupt log"', async () => {
    const { via, direct } = h.stores(uniquePrefix('open-fail'))
    await DeltaTable.create(direct, { schema: SCHEMA }).then((t) => t.append([{ id: 1n }]))
    h.rules.push({ when: commitGet(1), fault: 'reset', times: 4 })
    const e = await DeltaTable.open(via).then(() => undefined, (x: unknown) => x)
    expect(e).toBeInstanceOf(StorageError)
    expect((e as StorageError).file).toBe('_delta_log/00000000000000000001.json')
  })

  it('a reply delayed past timeoutMs is abandoned and retried; the call returns well before the delay ends', async () => {
    const { via, direct } = h.stores(uniquePrefix('delay'), { baseDelayMs: 5, timeoutMs: 300 })
    await direct.put('d', bytes('late'))
    h.rules.push({ when: (r) => r.cls === 'get', fault: 'delay', times: 1 })
    const started = Date.now()
    expect(text(await via.get('d'))).toBe('late')
    expect(Date.now() - started).toBeLessThan(2500)
  })

  it('every request failing: the caller gets one of our errors, naming the operation and key', async () => {
    const { via } = h.stores(uniquePrefix('down'), { baseDelayMs: 5, timeoutMs: 300 })
    for (const fault of ['reset', 'slowDown', 'delay'] as const) {
      h.rules.length = 0
      h.rules.push({ when: () => true, fault, times: 1000 })
      const e = await via.put('x/y.bin', bytes('z')).then(() => undefined, (x: unknown) => x)
      expect(e, fault).toBeInstanceOf(DeltaError)
      expect((e as Error).message, fault).toMatch(/PUT .*x\/y\.bin/)
    }
    h.rules.length = 0
  }, 30_000)
}

describeWithServer('network faults between S3Store and RGW', s3Server(), (server) => {
  let key = 'key-1'
  let rotations = 0
  const h = harness((endpoint, prefix, retry, direct) => direct
    ? s3StoreFor(server, prefix, { retry })
    : s3StoreFor({ ...server, endpoint }, prefix, { retry, credentials: async (): Promise<AwsCredentials> => ({ accessKeyId: key, secretAccessKey: `secret-of-${key}` }) }),
  server.endpoint, 's3', () => s3StoreFor(server, '').createBucket(), {
    s3Keys: { region: server.region, real: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
      // Rotate while the third request is in flight: it was signed with the old key.
      accepted: () => { if (++rotations === 3 && key === 'rotate-me') key = 'key-2'; return key } },
  })
  netFaultSuite(h)

  it('keys rotated while a request is in flight: the store signs again with the new key', async () => {
    const { via } = h.stores(uniquePrefix('rotate'))
    key = 'rotate-me'
    rotations = 0
    await via.put('a', bytes('1'))
    await via.put('b', bytes('2'))
    await via.put('c', bytes('3')) // signed with rotate-me, rejected once the proxy accepts only key-2
    expect(key).toBe('key-2')
    expect(h.proxy.faults.expiredKey).toBeGreaterThan(0)
    expect(text(await via.get('c'))).toBe('3')
  })

  it('a lost reply on a multipart part and on the complete: the object is whole and the put succeeds', async () => {
    const MiB = 1024 * 1024
    const { direct } = h.stores('')
    const prefix = uniquePrefix('mpu')
    const via = s3StoreFor({ ...server, endpoint: h.proxy.url }, prefix, { retry: RETRY, multipartThreshold: 5 * MiB, partSize: 5 * MiB,
      credentials: async () => ({ accessKeyId: key, secretAccessKey: 'x' }) })
    const data = new Uint8Array(11 * MiB).map((_, i) => i & 0xff)
    h.rules.push({ when: (r) => r.cls === 'part', fault: 'lostReply', times: 1 }, { when: (r) => r.cls === 'complete', fault: 'lostReply', times: 1 })
    await via.put('big.bin', data)
    expect(h.rules.every((x) => x.times === 0)).toBe(true)
    const back = await s3StoreFor(server, prefix).get('big.bin')
    expect(Buffer.compare(back, data)).toBe(0)
    await direct.delete(`${prefix}/big.bin`)
  }, 60_000)
})

describeWithServer('network faults between AzureStore and Azurite', azureServer(), (server) => {
  const h = harness((endpoint, prefix, retry) => azureStoreFor({ ...server, endpoint }, prefix, { retry }),
    server.endpoint, 'azure', () => azureStoreFor(server, '').createContainer())
  netFaultSuite(h)

  it('a lost reply on a block and on the block list: the blob is whole and the put succeeds', async () => {
    const MiB = 1024 * 1024
    const prefix = uniquePrefix('blocks')
    const via = azureStoreFor({ ...server, endpoint: h.proxy.url }, prefix, { retry: RETRY, blockThreshold: 2 * MiB, blockSize: MiB })
    const data = new Uint8Array(3 * MiB + 17).map((_, i) => i & 0xff)
    h.rules.push({ when: (r) => r.cls === 'part', fault: 'lostReply', times: 1 }, { when: (r) => r.cls === 'complete', fault: 'lostReply', times: 1 })
    await via.put('big.bin', data)
    expect(h.rules.every((x) => x.times === 0)).toBe(true)
    expect(Buffer.compare(await azureStoreFor(server, prefix).get('big.bin'), data)).toBe(0)
  }, 60_000)
})

it('S3Store: a retried multipart complete that finds the upload gone (its first reply was lost) checks the object and succeeds', async () => {
  const MiB = 1024 * 1024
  const data = new Uint8Array(6 * MiB)
  let completes = 0
  const fetch = async (url: string | URL, init?: RequestInit): Promise<Response> => {
    const u = new URL(String(url))
    if (init?.method === 'POST' && u.searchParams.has('uploads')) return new Response('<InitiateMultipartUploadResult><UploadId>u1</UploadId></InitiateMultipartUploadResult>', { status: 200 })
    if (init?.method === 'PUT') return new Response(null, { status: 200, headers: { etag: '"e"' } })
    if (init?.method === 'POST' && ++completes === 1) throw new TypeError('fetch failed') // applied, reply lost
    if (init?.method === 'POST') return new Response('<Error><Code>NoSuchUpload</Code></Error>', { status: 404 })
    if (init?.method === 'HEAD') return new Response(null, { status: 200, headers: { 'content-length': String(data.length) } })
    return new Response(null, { status: 500 })
  }
  const { S3Store } = await import('../../src/storage/s3-store.js')
  const s = new S3Store({ bucket: 'b', endpoint: 'http://127.0.0.1:1', credentials: { accessKeyId: 'a', secretAccessKey: 's' },
    fetch, multipartThreshold: 5 * MiB, partSize: 5 * MiB, retry: { baseDelayMs: 1 } })
  await s.put('data.parquet', data)
  expect(completes).toBe(2)
})
