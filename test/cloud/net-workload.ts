// The workload of the network-fault stress (net-stress.ts) shared by the writer processes and the
// checker: op i of writer w is a pure function of (seed, w, i) — an append or a CDC merge from the
// crash harness's generator — committed with the txn (appId `net-w<w>`, version i), so the log says
// which ops landed and the crash harness's model replays them.
import { readFileSync } from 'node:fs'
import { prng } from '../../bench/data.js'
import { AzureStore } from '../../src/storage/azure-store.js'
import type { FetchLike, RetryOptions } from '../../src/storage/http-common.js'
import type { ObjectStore } from '../../src/storage/object-store.js'
import { S3Store } from '../../src/storage/s3-store.js'
import type { DeltaTable } from '../../src/table/delta-table.js'
import { generateOp, pOf, type Op } from '../reliability/crash-workload.js'

export const appIdOf = (writer: number) => `net-w${writer}`

/**
 * Op i of writer w: half appends, half CDC merges; ids of op (w, i) are (w*1000+i)*1000+j. A merge's
 * keys are moved into its own writer's ids (of its ops ≤ i): a merge inserting a key that another
 * writer's blind append adds at the same time would leave two rows, as Delta should, but no
 * serial model of upserts predicts which. Writers still race on partitions, files and versions.
 */
export function netOp(seed: number, writer: number, i: number): Op {
  const kind = prng(seed * 7919 + writer * 104729 + i)() < 0.5 ? 'append' : 'cdc'
  const op = generateOp(seed, writer * 1000 + i, kind)
  if (op.kind !== 'cdc') return op
  const own = (id: bigint) => (BigInt(writer * 1000) + (id / 1000n) % BigInt(i + 1)) * 1000n + id % 1000n
  return { ...op, changes: op.changes.map((c) => { const id = own(c.id); return { ...c, id, p: pOf(id) } }) }
}

/** Run op i of writer w on `t` with its txn; resolves with the version the call reports. */
export async function runNetOp(t: DeltaTable, op: Op, writer: number, i: number): Promise<number> {
  const txn = { appId: appIdOf(writer), version: i }
  if (op.kind === 'append') return (await t.append(op.rows, { txn })).version
  if (op.kind === 'cdc') return (await t.merge(op.changes, { opColumn: 'op', sequence: 'seq', txn })).version
  throw new Error(`not a net-stress op: ${op.kind}`)
}

/** Where a process finds the table: the proxy's (or the server's) endpoint, prefix, store options. */
export interface StoreSpec {
  flavor: 's3' | 'azure'
  endpoint: string
  prefix: string
  bucket: string
  region?: string
  account?: string
  /** S3: a file holding the current access key id (rotated by the parent), or fixed credentials. */
  keyFile?: string
  accessKeyId?: string
  secretAccessKey?: string
  retry?: RetryOptions
  /** Sent as `x-fault-tag` on every request, so that the proxy can say which process met a fault. */
  tag?: string
}

export function storeFor(spec: StoreSpec): ObjectStore {
  const tag = spec.tag
  const tagged: FetchLike | undefined = tag === undefined ? undefined
    : (input, init) => fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), 'x-fault-tag': tag } })
  if (spec.flavor === 'azure') {
    return new AzureStore({ container: spec.bucket, prefix: spec.prefix, endpoint: spec.endpoint, account: spec.account, useEmulator: true, retry: spec.retry, fetch: tagged })
  }
  const credentials = spec.keyFile
    ? async () => { const id = readFileSync(spec.keyFile!, 'utf8').trim(); return { accessKeyId: id, secretAccessKey: `secret-of-${id}` } }
    : { accessKeyId: spec.accessKeyId!, secretAccessKey: spec.secretAccessKey! }
  return new S3Store({ bucket: spec.bucket, prefix: spec.prefix, endpoint: spec.endpoint, region: spec.region, credentials, retry: spec.retry, fetch: tagged })
}
