// Many writer processes commit appends and CDC merges to one table on RGW or Azurite through the
// fault proxy (test/cloud/fault-proxy.ts) at a fault rate where most commits meet a fault, while
// this process reads the table through the proxy; S3 keys are rotated mid-run. Then, from the log
// read directly: every acknowledged op is in it exactly once; an op that failed is absent unless an
// error said its outcome was unknown; an op skipped as already recorded had such an error before;
// every error was one of ours; the rows equal the crash harness's model replayed in log order, read
// directly and through the proxy; every read during the run equals the model at its version; VACUUM
// leaves only files the table needs. `npm run stress:net` runs it at size (figures in
// docs/reliability.md); net-stress.test.ts runs it small in `npm test`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { DeltaError } from '../../src/errors.js'
import { parseActionLines } from '../../src/log/actions.js'
import { commitKey } from '../../src/log/log-path.js'
import type { Snapshot } from '../../src/log/snapshot.js'
import { isVacuumable } from '../../src/maintenance/vacuum.js'
import { dvStoreKey } from '../../src/scan/deletion-vectors.js'
import { AzureStore } from '../../src/storage/azure-store.js'
import type { ObjectStore } from '../../src/storage/object-store.js'
import { S3Store } from '../../src/storage/s3-store.js'
import { DeltaTable } from '../../src/table/delta-table.js'
import { runJsonLinesChild } from '../json-lines-child.js'
import { applyOp, CREATE_OPTIONS, sortRows, type Row } from '../reliability/crash-workload.js'
import { FAULT_KINDS, FaultProxy, type FaultKind } from './fault-proxy.js'
import type { OpReport } from './net-writer.js'
import { appIdOf, netOp, storeFor, type StoreSpec } from './net-workload.js'
import { azureServer, BUCKET, CONTAINER, s3Server, uniquePrefix } from './servers.js'

export interface NetStressOptions {
  flavor: 's3' | 'azure'
  writers: number
  commits: number
  /** Probability that a request through the proxy meets a fault. */
  rate: number
  seed: number
  /** The client's timeout (the proxy's delays are 3× it). */
  timeoutMs?: number
  /** Rotate the S3 keys this often (ms); 0: never. */
  rotateEveryMs?: number
  log?: (line: string) => void
}

export interface NetStressFigures {
  flavor: string
  writers: number
  commits: number
  rate: number
  seed: number
  requests: number
  faults: Record<FaultKind, number>
  /** Ops by outcome. */
  committed: number
  committedFirstTry: number
  committedAfterErrors: number
  skippedAfterUnknown: number
  /** Appends, and those acknowledged at the first call (no error on the way). */
  appends: number
  appendsFirstTry: number
  /** Merges that changed nothing, so committed nothing. */
  noOps: number
  gaveUp: number
  gaveUpLanded: number
  /** Errors the writers met, by class. */
  errors: Record<string, number>
  /** Ops during which their writer's requests met at least one fault. */
  opsMeetingFault: number
  readsThroughProxy: number
  readErrors: number
  orphansRemoved: number
  versions: number
  seconds: number
}

const WRITER = join(import.meta.dirname, 'net-writer.ts')
const show = (rows: Row[]) => JSON.stringify(rows, (_, v) => (typeof v === 'bigint' ? v.toString() : v))
const rowsOf = (rows: Record<string, unknown>[]): Row[] => sortRows(rows.map((r) => ({ id: r.id as bigint, p: r.p as string, v: r.v as bigint })))

function runWriter(spec: StoreSpec, writer: number, commits: number, seed: number): Promise<OpReport[]> {
  return runJsonLinesChild<OpReport>(WRITER, [JSON.stringify({ spec, writer, commits, seed })], `writer ${writer}`)
}

/** Keys the snapshot needs: active data files and their DV files. */
function neededKeys(s: Snapshot): Set<string> {
  const keys = new Set<string>()
  for (const a of s.activeFiles()) {
    keys.add(s.resolvePath(a.path))
    const k = a.deletionVector ? dvStoreKey(a.deletionVector, s) : undefined
    if (k) keys.add(k)
  }
  return keys
}

export async function runNetStress(o: NetStressOptions): Promise<NetStressFigures> {
  const started = Date.now()
  const log = o.log ?? (() => {})
  const timeoutMs = o.timeoutMs ?? 500
  const retry = { baseDelayMs: 20, timeoutMs }
  const prefix = uniquePrefix(`net-${o.flavor}`)
  const dir = mkdtempSync(join(tmpdir(), 'net-stress-'))
  let direct: ObjectStore
  let spec: StoreSpec
  let proxy: FaultProxy
  let key = 'key-0'
  const keyFile = join(dir, 'key')
  writeFileSync(keyFile, key)
  const fault = { upstream: '', seed: o.seed, rate: o.rate, delayMs: timeoutMs * 3, weights: { delay: 0.5 } }
  if (o.flavor === 's3') {
    const server = s3Server()
    if (!server) throw new Error('no S3 server in .tmp/servers.env')
    direct = new S3Store({ bucket: BUCKET, prefix, endpoint: server.endpoint, region: server.region, credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey } })
    await (direct as S3Store).createBucket()
    proxy = await new FaultProxy({ ...fault, upstream: server.endpoint, flavor: 's3',
      s3Keys: { region: server.region, real: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey }, accepted: () => key } }).start()
    spec = { flavor: 's3', endpoint: proxy.url, prefix, bucket: BUCKET, region: server.region, keyFile, retry }
  } else {
    const server = azureServer()
    if (!server) throw new Error('no Azure server in .tmp/servers.env')
    direct = new AzureStore({ container: CONTAINER, prefix, endpoint: server.endpoint, account: server.account, useEmulator: true })
    await (direct as AzureStore).createContainer()
    proxy = await new FaultProxy({ ...fault, upstream: server.endpoint, flavor: 'azure' }).start()
    spec = { flavor: 'azure', endpoint: proxy.url, prefix, bucket: CONTAINER, account: server.account, retry }
  }
  const rotation = o.flavor === 's3' && (o.rotateEveryMs ?? 0) > 0
    ? setInterval(() => { key = `key-${Number(key.slice(4)) + 1}`; writeFileSync(keyFile, key) }, o.rotateEveryMs) : undefined
  const reads: { version: number; rows: string }[] = []
  let readErrors = 0
  const rawReadErrors: string[] = []
  let writing = true
  try {
    await DeltaTable.create(direct, CREATE_OPTIONS)
    // Readers through the proxy while the writers run: each read is checked against the model later.
    const reader = (async () => {
      const via = storeFor(spec)
      while (writing) {
        try {
          const t = await DeltaTable.open(via)
          reads.push({ version: t.version, rows: show(rowsOf(await t.toRows())) })
        } catch (e) {
          if (!(e instanceof DeltaError)) rawReadErrors.push(`a read through the proxy failed with a raw ${(e as Error)?.name}: ${(e as Error)?.message}`)
          readErrors++
        }
        await new Promise((r) => setTimeout(r, 500))
      }
    })()
    let reports: OpReport[]
    try {
      reports = (await Promise.all(Array.from({ length: o.writers }, (_, w) => runWriter(spec, w, o.commits, o.seed)))).flat()
    } finally {
      writing = false
      await reader
    }
    if (rotation) clearInterval(rotation)

    // ---- the log, read directly ----
    const final = await DeltaTable.open(direct)
    const landed = new Map<string, number[]>() // `${writer}/${i}` → versions carrying its txn
    const opAt = new Map<number, { writer: number; i: number }>()
    for (let v = 1; v <= final.version; v++) {
      const actions = parseActionLines(new TextDecoder().decode(await direct.get(commitKey(v))))
      for (const a of actions) {
        if (!('txn' in a)) continue
        const writer = Number(a.txn.appId.replace(/^net-w/, ''))
        const id = `${writer}/${a.txn.version}`
        landed.set(id, [...(landed.get(id) ?? []), v])
        opAt.set(v, { writer, i: a.txn.version })
      }
    }
    const f: NetStressFigures = {
      flavor: o.flavor, writers: o.writers, commits: o.commits, rate: o.rate, seed: o.seed, requests: 0, faults: proxy.faults,
      committed: 0, committedFirstTry: 0, committedAfterErrors: 0, skippedAfterUnknown: 0, appends: 0, appendsFirstTry: 0, noOps: 0, gaveUp: 0, gaveUpLanded: 0, errors: {}, opsMeetingFault: 0,
      readsThroughProxy: reads.length, readErrors, orphansRemoved: 0, versions: final.version, seconds: 0,
    }
    const problems: string[] = [...rawReadErrors]
    // The model: the ops in log order (models: the rows at each version).
    const model = new Map<bigint, Row>()
    const models = new Map<number, Map<bigint, Row>>([[0, new Map()]])
    const modelAt = new Map<number, string>([[0, show([])]])
    for (let v = 1; v <= final.version; v++) {
      const at = opAt.get(v)
      if (at) applyOp(model, netOp(o.seed, at.writer, at.i))
      models.set(v, new Map([...model].map(([k, r]) => [k, { ...r }])))
      modelAt.set(v, show(sortRows([...model.values()])))
    }
    const ops = reports.filter((r) => r.i >= 0)
    if (ops.length !== o.writers * o.commits) problems.push(`${ops.length} op reports for ${o.writers * o.commits} ops`)
    for (const r of reports) {
      for (const e of r.errors) {
        f.errors[e.name] = (f.errors[e.name] ?? 0) + 1
        if (!e.typed) problems.push(`writer ${r.writer} op ${r.i}: raw ${e.name}: ${e.message}`)
      }
    }
    for (const r of ops) {
      if (proxy.events.some((e) => e.tag === `w${r.writer}` && e.at >= r.start && e.at <= r.end)) f.opsMeetingFault++
      const where = landed.get(`${r.writer}/${r.i}`) ?? []
      const unknownBefore = r.errors.some((e) => e.name === 'CommitOutcomeUnknownError')
      if (where.length > 1) problems.push(`writer ${r.writer} op ${r.i} committed ${where.length} times (versions ${where})`)
      if (r.kind === 'append') {
        f.appends++
        if (r.version !== undefined && r.errors.length === 0) f.appendsFirstTry++
      }
      if (r.version !== undefined) {
        f.committed++
        if (r.errors.length === 0) f.committedFirstTry++
        else f.committedAfterErrors++
        if (where.length === 0) {
          // A merge that changes nothing (deletes of absent keys) commits nothing: fine when the model agrees.
          const before = models.get(r.version)
          const after = before && new Map(before)
          if (after) applyOp(after, netOp(o.seed, r.writer, r.i))
          if (!after || show(sortRows([...after.values()])) !== show(sortRows([...before.values()]))) {
            problems.push(`writer ${r.writer} op ${r.i} acknowledged at version ${r.version} but not in the log`)
          } else f.noOps++
        }
        else if (where[0] !== r.version) {
          // Skipped as already recorded: only right after an attempt whose outcome was reported unknown.
          if (unknownBefore) f.skippedAfterUnknown++
          else problems.push(`writer ${r.writer} op ${r.i}: an attempt reported failed (${r.errors.map((e) => e.name)}; first: ${r.errors[0]?.message}) had committed at version ${where[0]}`)
        }
      } else {
        f.gaveUp++
        if (where.length > 0) {
          f.gaveUpLanded++
          if (!unknownBefore) problems.push(`writer ${r.writer} op ${r.i} reported failed (${r.errors.map((e) => e.name)}; first: ${r.errors[0]?.message}) but committed at version ${where[0]}`)
        }
      }
    }

    // ---- rows: read directly and through the proxy; reads during the run ----
    const want = modelAt.get(final.version)!
    const got = show(rowsOf(await final.toRows()))
    if (got !== want) problems.push(`rows read directly differ from the model at version ${final.version}`)
    for (const r of reads) if (r.rows !== modelAt.get(r.version)) problems.push(`a read through the proxy at version ${r.version} returned wrong rows`)
    // A whole-table read is hundreds of requests: at high fault rates some request exhausts the
    // default 4 attempts most times, so this read gives its store more (as a caller on a bad network would).
    const patient = storeFor({ ...spec, retry: { ...spec.retry, attempts: 10 } })
    for (let a = 0; ; a++) {
      try {
        const t = await DeltaTable.open(patient)
        if (t.version !== final.version || show(rowsOf(await t.toRows())) !== want) problems.push('the table reads differently through the proxy')
        break
      } catch (e) {
        if (!(e instanceof DeltaError)) throw e
        if (a >= 20) { problems.push(`the table never read through the proxy: ${(e as Error).message}`); break }
      }
    }

    // ---- VACUUM (directly) leaves only files the table needs ----
    const vac = await final.vacuum({ retentionHours: 0, enforceRetentionDuration: false })
    f.orphansRemoved = vac.filesDeleted.length
    const needed = neededKeys(final.snapshot)
    for await (const meta of direct.list('')) {
      if (isVacuumable(meta.key, final.partitionColumns) && !needed.has(meta.key)) problems.push(`orphan ${meta.key} survived VACUUM`)
    }
    for (const key of needed) if (!(await direct.head(key))) problems.push(`version ${final.version} references missing ${key}`)
    if ((await DeltaTable.open(direct).then((t) => t.toRows()).then((r) => show(rowsOf(r)))) !== want) problems.push('rows changed by VACUUM')

    f.requests = proxy.requests
    f.seconds = Math.round((Date.now() - started) / 100) / 10
    log(describeFigures(f))
    if (problems.length) throw new Error(`net stress (${o.flavor}, seed ${o.seed}) found ${problems.length} problems:\n${problems.slice(0, 30).join('\n')}`)
    return f
  } finally {
    writing = false
    if (rotation) clearInterval(rotation)
    await proxy.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

export function describeFigures(f: NetStressFigures): string {
  const faults = FAULT_KINDS.filter((k) => f.faults[k] > 0).map((k) => `${k} ${f.faults[k]}`).join(', ')
  const total = Object.values(f.faults).reduce((a, b) => a + b, 0)
  const errors = Object.entries(f.errors).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'
  const ops = f.writers * f.commits
  return `${f.flavor}: ${f.writers} writers × ${f.commits} ops (rate ${f.rate}, seed ${f.seed}), ${f.requests} requests, ${total} faults (${faults}); ` +
    `${f.opsMeetingFault}/${ops} ops met a fault; ` +
    `committed ${f.committed}/${ops} (${f.committedFirstTry} at the first call, ${f.committedAfterErrors} after a repeat, ${f.skippedAfterUnknown} found already recorded after an unknown outcome, ${f.noOps} merges with nothing to change; appends at the first call ${f.appendsFirstTry}/${f.appends}), ` +
    `gave up ${f.gaveUp} (${f.gaveUpLanded} of them landed, each after CommitOutcomeUnknownError); errors met: ${errors}; ` +
    `${f.readsThroughProxy} reads through the proxy checked (${f.readErrors} failed with our errors); ${f.versions} versions; VACUUM removed ${f.orphansRemoved}; ${f.seconds} s`
}

// `npm run stress:net -- --writers 6 --commits 30 --rate 0.1 --seed 1 [--only s3|azure]`
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name: string, fallback: string) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1]! : fallback }
  const flavors = arg('only', 's3,azure').split(',') as ('s3' | 'azure')[]
  for (const flavor of flavors) {
    await runNetStress({
      flavor, writers: Number(arg('writers', '6')), commits: Number(arg('commits', '30')), rate: Number(arg('rate', '0.1')),
      seed: Number(arg('seed', '1')), timeoutMs: Number(arg('timeout', '500')), rotateEveryMs: Number(arg('rotate', '5000')),
      log: (l) => console.log(l),
    }).catch((e: unknown) => { console.error((e as Error).message); process.exitCode = 1 })
  }
}
