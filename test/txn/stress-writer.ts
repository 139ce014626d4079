// One writer process of the multi-process stress test (concurrency-multiprocess.test.ts): commits a
// seeded mix of blind appends and key upserts ("merges") to a local table through Transaction, and
// prints one JSON line per acknowledged commit. A conflict makes it re-plan on a fresh snapshot, as
// a job would. Rows live in each add's tags so the parent can check the table without Parquet.
import type { AddFile } from '../../src/log/actions.js'
import { loadSnapshot } from '../../src/log/snapshot.js'
import { CommitConflictError } from '../../src/errors.js'
import { LocalStore } from '../../src/storage/local-store.js'
import { Transaction } from '../../src/txn/transaction.js'
import { prng } from '../../bench/data.js' // mulberry32: the one seeded PRNG of tests and benches

export const STRESS_PARTITIONS = ['a', 'b', 'c']
export const STRESS_KEYS = 3

export type StressOp =
  | { opId: string; kind: 'append'; p: string; rows: [string, string][] }
  | { opId: string; kind: 'merge'; p: string; key: string; value: string }

export function rowsOf(f: AddFile): [string, string][] {
  return JSON.parse(f.tags?.rows ?? '[]') as [string, string][]
}

async function main(): Promise<void> {
  const [root, writer, commits, seed, startAt, mergeRatio = '0.6'] = process.argv.slice(2)
  // All writers start together, so that their commits really interleave.
  await new Promise((r) => setTimeout(r, Math.max(0, Number(startAt ?? 0) - Date.now())))
  const store = new LocalStore(root!)
  const random = prng(Number(seed))
  let fileNo = 0
  const newFile = (p: string, rows: [string, string][]): AddFile => ({
    path: `p=${p}/w${writer}-${fileNo++}.parquet`, partitionValues: { p }, size: 1, modificationTime: Date.now(), dataChange: true,
    tags: { rows: JSON.stringify(rows) },
  })
  for (let i = 0; i < Number(commits); i++) {
    const p = STRESS_PARTITIONS[Math.floor(random() * STRESS_PARTITIONS.length)]!
    const op: StressOp = random() >= Number(mergeRatio)
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

if (process.argv[1]?.endsWith('stress-writer.ts')) {
  main().catch((e: unknown) => { process.stderr.write(`${(e as Error).stack ?? String(e)}\n`); process.exit(1) })
}
