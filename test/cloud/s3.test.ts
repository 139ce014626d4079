// S3Store against a real S3 server (Ceph RGW on 127.0.0.1:7480, started by test/servers/start.sh):
// the storage contract, pagination, multipart upload, credentials from the environment, and a Delta
// round trip. The 409 retry is checked with a scripted fetch (RGW does not produce it on demand).
import { beforeAll, expect, it } from 'vitest'
import { registerCloudStores, S3Store } from '../../src/cloud.js'
import { openStore, listAll } from '../../src/storage/index.js'
import { storeContract } from '../storage/store-contract.js'
import { deltaRoundTrip } from './delta-suite.js'
import { BUCKET, describeWithServer, s3Server, s3StoreFor, uniquePrefix } from './servers.js'

const bytes = (s: string) => new TextEncoder().encode(s)
const text = (b: Uint8Array) => new TextDecoder().decode(b)

describeWithServer('S3Store on Ceph RGW', s3Server(), (server) => {
  beforeAll(async () => { await s3StoreFor(server, '').createBucket() })

  storeContract(() => s3StoreFor(server, uniquePrefix('contract')))
  deltaRoundTrip((prefix) => s3StoreFor(server, prefix))

  it('pages through listings with continuation tokens, from startAfter, one level or recursive', async () => {
    const s = s3StoreFor(server, uniquePrefix('pages'), { listPageSize: 2 })
    const names = ['a/1', 'a/2', 'a/3', 'a/4', 'a/5', 'a/sub/6', 'b/7']
    await Promise.all(names.map((k) => s.put(k, bytes(k))))
    s.requests.list = 0
    expect((await listAll(s, 'a/')).map((m) => m.key)).toEqual(['a/1', 'a/2', 'a/3', 'a/4', 'a/5', 'a/sub/6'])
    expect(s.requests.list).toBe(3)
    expect((await listAll(s, 'a/', { startAfter: 'a/2' })).map((m) => m.key)).toEqual(['a/3', 'a/4', 'a/5', 'a/sub/6'])
    expect((await listAll(s, 'a/', { startAfter: 'a/2', recursive: false })).map((m) => m.key)).toEqual(['a/3', 'a/4', 'a/5'])
  })

  it('writes large objects with multipart upload; ranges across part boundaries are exact', async () => {
    const MiB = 1024 * 1024
    const s = s3StoreFor(server, uniquePrefix('multipart'), { multipartThreshold: 5 * MiB, partSize: 5 * MiB })
    const data = new Uint8Array(11 * MiB)
    for (let i = 0; i < data.length; i += 4099) data[i] = (i / 4099) & 0xff
    s.requests.put = 0
    await s.put('big.parquet', data)
    expect(s.requests.put).toBe(5) // create, 3 parts, complete
    expect((await s.head('big.parquet'))?.size).toBe(data.length)
    const cut = 5 * MiB
    expect(await s.getRange('big.parquet', cut - 10, cut + 10)).toEqual(data.subarray(cut - 10, cut + 10))
    const back = await s.get('big.parquet')
    expect(back.length).toBe(data.length)
    expect(Buffer.compare(back, data)).toBe(0) // not toEqual: a diff of 11 MiB would not fit in memory
    await s.delete('big.parquet') // the servers keep objects in memory
  })

  it('takes endpoint, region and credentials from AWS_* variables; s3:// URIs open through lagomago/cloud', async () => {
    const saved = { ...process.env }
    try {
      Object.assign(process.env, { AWS_ENDPOINT_URL: server.endpoint, AWS_REGION: server.region,
        AWS_ACCESS_KEY_ID: server.accessKeyId, AWS_SECRET_ACCESS_KEY: server.secretAccessKey })
      const prefix = uniquePrefix('env')
      const a = S3Store.fromUri(`s3://${BUCKET}/${prefix}`)
      await a.put('k', bytes('from env'))
      registerCloudStores()
      const b = await openStore(`s3://${BUCKET}/${prefix}/`)
      expect(b.url).toBe(`s3://${BUCKET}/${prefix}`)
      expect(text(await b.get('k'))).toBe('from env')
      process.env.AWS_SECRET_ACCESS_KEY = 'wrong'
      await expect(S3Store.fromUri(`s3://${BUCKET}/${prefix}`).get('k')).rejects.toThrow(/403/)
    } finally {
      process.env = saved
    }
  })
})

it('S3Store: 409 ConditionalRequestConflict is retried until S3 settles the race (200 wins, 412 loses)', async () => {
  const script = (statuses: number[]) => {
    const seen: string[] = []
    const fetch = async (url: string | URL, init?: RequestInit) => {
      seen.push(`${init?.method} ${String(url)} ${(init?.headers as Record<string, string>)['if-none-match']}`)
      return new Response(null, { status: statuses.shift() ?? 500 })
    }
    return { seen, store: new S3Store({ bucket: 'b', endpoint: 'http://127.0.0.1:1', credentials: { accessKeyId: 'a', secretAccessKey: 's' }, fetch }) }
  }
  const won = script([409, 409, 200])
  expect(await won.store.putIfAbsent('_delta_log/00000000000000000001.json', bytes('x'))).toBe(true)
  expect(won.seen).toEqual(Array(3).fill('PUT http://127.0.0.1:1/b/_delta_log/00000000000000000001.json *'))
  const lost = script([409, 412])
  expect(await lost.store.putIfAbsent('k', bytes('x'))).toBe(false)
  expect(lost.seen).toHaveLength(2)
})
