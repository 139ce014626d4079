// Multi-process commit stress against the real servers: W writer processes commit blind appends and
// key upserts to one S3 (RGW) or Azure (Azurite) table at once. Every acknowledged commit is in the
// log exactly once, no file is added twice, and the rows equal a serial replay in log order.
// CLOUD_STRESS_WRITERS / CLOUD_STRESS_COMMITS scale it up.
import { join } from 'node:path'
import { expect, it } from 'vitest'
import type { CloudStoreDefaults } from '../../src/cloud.js'
import { parseActionLines, type Metadata } from '../../src/log/actions.js'
import { loadSnapshot } from '../../src/log/snapshot.js'
import type { ObjectStore } from '../../src/storage/index.js'
import { Transaction } from '../../src/txn/transaction.js'
import { runJsonLinesChild } from '../json-lines-child.js'
import { rowsOf, type StressOp } from '../txn/stress-writer.js'
import { azureServer, azureStoreFor, BUCKET, CONTAINER, describeWithServer, s3Server, s3StoreFor, uniquePrefix } from './servers.js'

const WRITERS = Number(process.env.CLOUD_STRESS_WRITERS ?? 3)
const COMMITS = Number(process.env.CLOUD_STRESS_COMMITS ?? 8)
const SCRIPT = join(import.meta.dirname, 'cloud-writer.ts')

type Ack = StressOp & { version: number; replans: number; attempts: number }

function runWriter(uri: string, writer: number, seed: number, startAt: number, defaults: CloudStoreDefaults): Promise<Ack[]> {
  return runJsonLinesChild<Ack>(SCRIPT, [uri, String(writer), String(COMMITS), String(seed), String(startAt), JSON.stringify(defaults)], `writer ${writer}`)
}

async function stress(store: ObjectStore, uri: string, defaults: CloudStoreDefaults): Promise<void> {
  const metadata: Metadata = {
    id: '5a7e55e5-0000-4000-8000-00000000c10d', format: { provider: 'parquet', options: {} }, partitionColumns: ['p'], configuration: {},
    schemaString: JSON.stringify({ type: 'struct', fields: [
      { name: 'p', type: 'string', nullable: true, metadata: {} }, { name: 'k', type: 'string', nullable: true, metadata: {} },
      { name: 'v', type: 'string', nullable: true, metadata: {} },
    ] }),
  }
  await Transaction.create(store, uri, { operation: 'CREATE TABLE' }).setProtocol({ minReaderVersion: 1, minWriterVersion: 2 }).setMetadata(metadata).commit()
  const seed = Date.now() % 100000
  const startAt = Date.now() + 4000 // process start-up (tsx) takes a second or two on a loaded machine
  const acks = (await Promise.all(Array.from({ length: WRITERS }, (_, w) => runWriter(uri, w, seed + w, startAt, defaults)))).flat()
  expect(acks, `seed ${seed}`).toHaveLength(WRITERS * COMMITS)

  const snap = await loadSnapshot(store)
  expect(snap.version).toBe(WRITERS * COMMITS)
  const byVersion = new Map(acks.map((a) => [a.version, a]))
  expect(byVersion.size).toBe(acks.length)
  const added = new Set<string>()
  for (let v = 1; v <= snap.version; v++) {
    const actions = parseActionLines(new TextDecoder().decode(await store.get(`_delta_log/${String(v).padStart(20, '0')}.json`)))
    const info = actions.find((a) => 'commitInfo' in a)
    const opId = info && 'commitInfo' in info ? (info.commitInfo.operationParameters as Record<string, string>).opId : undefined
    expect(opId, `version ${v}`).toBe(byVersion.get(v)?.opId)
    for (const a of actions) {
      if (!('add' in a)) continue
      expect(added.has(a.add.path), `file ${a.add.path} added twice`).toBe(false)
      added.add(a.add.path)
    }
  }
  const expected = new Map<string, Map<string, string>>()
  const appended: string[] = []
  for (const a of [...acks].sort((x, y) => x.version - y.version)) {
    if (a.kind === 'append') appended.push(...a.rows.map(([k, v]) => `${a.p}/${k}=${v}`))
    else {
      const m = expected.get(a.p) ?? new Map<string, string>()
      m.set(a.key, a.value)
      expected.set(a.p, m)
    }
  }
  const want = [...appended, ...[...expected].flatMap(([p, m]) => [...m].map(([k, v]) => `${p}/${k}=${v}`))].sort()
  const got = snap.activeFiles().flatMap((f) => rowsOf(f).map(([k, v]) => `${f.partitionValues.p}/${k}=${v}`)).sort()
  expect(got).toEqual(want)
  const lost = acks.reduce((n, a) => n + a.attempts - 1, 0)
  const replans = acks.reduce((n, a) => n + a.replans, 0)
  console.info(`cloud stress ${uri}: ${acks.length} commits by ${WRITERS} processes, ${lost} lost races rebased, ${replans} re-plans (seed ${seed})`)
}

describeWithServer('multi-process commit stress on S3 (RGW)', s3Server(), (server) => {
  it(`${WRITERS} writer processes × ${COMMITS} commits lose nothing and duplicate nothing`, async () => {
    const prefix = uniquePrefix('stress')
    const store = s3StoreFor(server, prefix)
    await store.createBucket()
    const defaults: CloudStoreDefaults = { s3: { endpoint: server.endpoint, region: server.region, credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey } } }
    await stress(store, `s3://${BUCKET}/${prefix}`, defaults)
  }, 240_000)
})

describeWithServer('multi-process commit stress on Azure Blob (Azurite)', azureServer(), (server) => {
  it(`${WRITERS} writer processes × ${COMMITS} commits lose nothing and duplicate nothing`, async () => {
    const prefix = uniquePrefix('stress')
    const store = azureStoreFor(server, prefix)
    await store.createContainer()
    const defaults: CloudStoreDefaults = { azure: { endpoint: server.endpoint, account: server.account, useEmulator: true } }
    await stress(store, `az://${CONTAINER}/${prefix}`, defaults)
  }, 240_000)
})
