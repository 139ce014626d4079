// AzureStore against Azurite (Azure Blob emulator on 127.0.0.1:10000, started by
// test/servers/start.sh): the storage contract, marker pagination with startAfter emulated, block
// upload, the emulator account from the environment, and a Delta round trip.
import { beforeAll, expect, it } from 'vitest'
import { AzureStore, registerCloudStores } from '../../src/cloud.js'
import { listAll, openStore } from '../../src/storage/index.js'
import { storeContract } from '../storage/store-contract.js'
import { deltaRoundTrip } from './delta-suite.js'
import { azureServer, azureStoreFor, CONTAINER, describeWithServer, uniquePrefix } from './servers.js'

const bytes = (s: string) => new TextEncoder().encode(s)
const text = (b: Uint8Array) => new TextDecoder().decode(b)

describeWithServer('AzureStore on Azurite', azureServer(), (server) => {
  beforeAll(async () => { await azureStoreFor(server, '').createContainer() })

  storeContract(() => azureStoreFor(server, uniquePrefix('contract')))
  deltaRoundTrip((prefix) => azureStoreFor(server, prefix))

  it('pages through listings with markers; startAfter and one-level listings across pages', async () => {
    const s = azureStoreFor(server, uniquePrefix('pages'), { listPageSize: 2 })
    const names = ['a/1', 'a/2', 'a/3', 'a/4', 'a/5', 'a/sub/6', 'b/7']
    await Promise.all(names.map((k) => s.put(k, bytes(k))))
    s.requests.list = 0
    expect((await listAll(s, 'a/')).map((m) => m.key)).toEqual(['a/1', 'a/2', 'a/3', 'a/4', 'a/5', 'a/sub/6'])
    expect(s.requests.list).toBe(3)
    expect((await listAll(s, 'a/', { startAfter: 'a/2' })).map((m) => m.key)).toEqual(['a/3', 'a/4', 'a/5', 'a/sub/6'])
    expect((await listAll(s, 'a/', { startAfter: 'a/2', recursive: false })).map((m) => m.key)).toEqual(['a/3', 'a/4', 'a/5'])
  })

  it('uploads large blobs as blocks; ranges across block boundaries are exact', async () => {
    const MiB = 1024 * 1024
    const s = azureStoreFor(server, uniquePrefix('blocks'), { blockThreshold: 2 * MiB, blockSize: MiB })
    const data = new Uint8Array(3 * MiB + 5)
    for (let i = 0; i < data.length; i += 4099) data[i] = (i / 4099) & 0xff
    s.requests.put = 0
    await s.put('big.parquet', data)
    expect(s.requests.put).toBe(5) // 4 blocks, the block list
    expect((await s.head('big.parquet'))?.size).toBe(data.length)
    expect(await s.getRange('big.parquet', MiB - 10, MiB + 10)).toEqual(data.subarray(MiB - 10, MiB + 10))
    const back = await s.get('big.parquet')
    expect(Buffer.compare(back, data)).toBe(0)
    await s.delete('big.parquet') // the servers keep objects in memory
  })

  it('takes the emulator account from AZURE_STORAGE_* variables; az:// URIs open through lagomago/cloud', async () => {
    const saved = { ...process.env }
    try {
      Object.assign(process.env, { AZURE_STORAGE_USE_EMULATOR: 'true', AZURE_STORAGE_ENDPOINT: server.endpoint })
      const prefix = uniquePrefix('env')
      await AzureStore.fromUri(`az://${CONTAINER}/${prefix}`).put('k', bytes('from env'))
      registerCloudStores()
      const b = await openStore(`az://${CONTAINER}/${prefix}`)
      expect(text(await b.get('k'))).toBe('from env')
      const wrongKey = new AzureStore({ container: CONTAINER, prefix, endpoint: server.endpoint, account: server.account, accountKey: btoa('wrong key') })
      await expect(wrongKey.get('k')).rejects.toThrow(/403/)
    } finally {
      process.env = saved
    }
  })
})
