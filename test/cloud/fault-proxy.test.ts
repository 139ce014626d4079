// The fault proxy itself: with no faults it is transparent (the storage contract passes through it,
// on RGW with its S3 re-signing and on Azurite), and scripted faults reach the client as the kind
// asked for, counted by kind.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { storeContract } from '../storage/store-contract.js'
import { FaultProxy } from './fault-proxy.js'
import { azureServer, azureStoreFor, describeWithServer, s3Server, s3StoreFor, uniquePrefix } from './servers.js'

const bytes = (s: string) => new TextEncoder().encode(s)

describeWithServer('fault proxy in front of RGW', s3Server(), (server) => {
  const proxy = new FaultProxy({
    upstream: server.endpoint,
    s3Keys: { region: server.region, real: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey }, accepted: () => 'proxy-key-1' },
  })
  beforeAll(async () => { await proxy.start(); await s3StoreFor(server, '').createBucket() })
  afterAll(() => proxy.close())
  const viaProxy = (prefix: string) => s3StoreFor({ ...server, endpoint: proxy.url }, prefix,
    { credentials: { accessKeyId: 'proxy-key-1', secretAccessKey: 'proxy-secret' } })

  storeContract(() => viaProxy(uniquePrefix('proxy-contract')))

  it('rejects a key it does not accept, and counts it', async () => {
    const before = proxy.faults.expiredKey
    const s = s3StoreFor({ ...server, endpoint: proxy.url }, uniquePrefix('proxy-key'), { credentials: { accessKeyId: 'old', secretAccessKey: 'x' } })
    await expect(s.put('k', bytes('x'))).rejects.toThrow(/403 InvalidAccessKeyId/)
    expect(proxy.faults.expiredKey).toBe(before + 1)
  })
})

describeWithServer('fault proxy in front of Azurite', azureServer(), (server) => {
  let next: string[] = []
  const proxy = new FaultProxy({ upstream: server.endpoint, flavor: 'azure', decide: () => next.shift() as never })
  beforeAll(async () => { await proxy.start(); await azureStoreFor(server, '').createContainer() })
  afterAll(() => proxy.close())

  storeContract(() => azureStoreFor({ ...server, endpoint: proxy.url }, uniquePrefix('proxy-contract')))

  it('answers 503 itself without forwarding, and the store retries', async () => {
    const s = azureStoreFor({ ...server, endpoint: proxy.url }, uniquePrefix('proxy-503'))
    const before = proxy.faults.slowDown
    next = ['slowDown', 'slowDown']
    await s.put('k', bytes('after two 503s'))
    expect(proxy.faults.slowDown).toBe(before + 2)
    expect(s.requests.put).toBe(3)
    expect(new TextDecoder().decode(await azureStoreFor(server, s.prefix).get('k'))).toBe('after two 503s')
  })
})
