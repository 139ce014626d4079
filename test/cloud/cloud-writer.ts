// One writer process of the cloud stress test (stress.test.ts): like test/txn/stress-writer.ts but on
// an S3 or Azure table opened by URI, so that commits race through the server's conditional puts.
// Prints one JSON line per acknowledged commit. Args: uri, writer, commits, seed, startAt, storeOptions(JSON).
import { registerCloudStores } from '../../src/cloud.js'
import { CommitConflictError } from '../../src/errors.js'
import type { AddFile } from '../../src/log/actions.js'
import { loadSnapshot } from '../../src/log/snapshot.js'
import { openStore } from '../../src/storage/index.js'
import { Transaction } from '../../src/txn/transaction.js'
import { rowsOf, STRESS_KEYS, STRESS_PARTITIONS, type StressOp } from '../txn/stress-writer.js'
import { prng } from '../../bench/data.js' // mulberry32: the one seeded PRNG of tests and benches

async function main(): Promise<void> {
  const [uri, writer, commits, seed, startAt, storeOptions = '{}'] = process.argv.slice(2)
  registerCloudStores(JSON.parse(storeOptions))
  const store = await openStore(uri!)
  await new Promise((r) => setTimeout(r, Math.max(0, Number(startAt ?? 0) - Date.now())))
  const random = prng(Number(seed))
  let fileNo = 0
  const newFile = (p: string, rows: [string, string][]): AddFile => ({
    path: `p=${p}/w${writer}-${fileNo++}.parquet`, partitionValues: { p }, size: 1, modificationTime: Date.now(), dataChange: true,
    tags: { rows: JSON.stringify(rows) },
  })
  for (let i = 0; i < Number(commits); i++) {
    const p = STRESS_PARTITIONS[Math.floor(random() * STRESS_PARTITIONS.length)]!
    const op: StressOp = random() >= 0.6
      ? { opId: `w${writer}-${i}`, kind: 'append', p, rows: [[`w${writer}-${i}`, String(i)]] }
      : { opId: `w${writer}-${i}`, kind: 'merge', p, key: `k${Math.floor(random() * STRESS_KEYS)}`, value: `w${writer}-${i}` }
    let replans = 0
    for (;;) {
      const snap = await loadSnapshot(store)
      const txn = Transaction.on(snap, { operation: op.kind === 'append' ? 'WRITE' : 'MERGE', operationParameters: { opId: op.opId } })
      if (op.kind === 'append') {
        txn.addFiles([newFile(op.p, op.rows)])
        txn.blindAppend = true
      } else {
        const inPartition = snap.activeFiles().filter((f) => f.partitionValues.p === op.p)
        txn.recordRead({ predicates: [`p = '${op.p}'`], files: inPartition.map((f) => f.path) })
        const target = inPartition.find((f) => rowsOf(f).some(([k]) => k === op.key))
        if (target) {
          txn.removeFiles([{ path: target.path, partitionValues: target.partitionValues, dataChange: true, deletionTimestamp: Date.now(), size: target.size }])
          txn.addFiles([newFile(op.p, rowsOf(target).map(([k, v]) => [k, k === op.key ? op.value : v]))])
        } else {
          txn.addFiles([newFile(op.p, [[op.key, op.value]])])
        }
      }
      try {
        const r = await txn.commit()
        process.stdout.write(`${JSON.stringify({ ...op, version: r.version, replans, attempts: r.attempts })}\n`)
        break
      } catch (e) {
        if (!(e instanceof CommitConflictError)) throw e
        replans++
      }
    }
  }
}

main().catch((e: unknown) => { process.stderr.write(`${(e as Error).stack ?? String(e)}\n`); process.exit(1) })
