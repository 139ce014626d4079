// Warm merges in one process, one line per merge (index, wall ms, CPU ms): how a process's merges
// speed up as V8 optimises lagomago's code, and what forced GCs do to that. The merge-cdc-1k job's
// table and CDC batches; the table is copied fresh first.
//
//   node --expose-gc --import tsx bench/warm-merges.ts
//   env: N (merges, default 20), CHECK=1 (the table's checksum against the model after each merge,
//        in this process, as the bench job does),
//        FORCED_GC=1 (a forced full GC before each merge, as the job did before 354348a), DIR (the copy)
//   add --trace-deopt / --trace-gc to node to see deopts and GCs between the lines.
import { cpSync, rmSync } from 'node:fs'
import { DeltaTable } from '../src/table/delta-table.js'
import { expectChecksum, lagomagoChecksum, TableModel } from './checksum.js'
import { CdcStream } from './jobs/merge.js'
import { standardTable } from './jobs/scan.js'

const rows = 1_000_000
const dir = process.env.DIR ?? '/tmp/lagomago-warm-merges'
const std = await standardTable('bench/.data', rows)
rmSync(dir, { recursive: true, force: true })
cpSync(std.dir, dir, { recursive: true })
const table = await DeltaTable.open(dir)
const stream = new CdcStream(rows, 1000)
const n = Number(process.env.N ?? 20)
const model = process.env.CHECK === '1' ? TableModel.standard(rows) : undefined
for (let i = 0; i < n; i++) {
  const batch = stream.next()
  if (process.env.FORCED_GC === '1') (globalThis as { gc?: () => void }).gc?.()
  const t0 = performance.now()
  const c0 = process.cpuUsage()
  const r = await table.merge(batch.rows, { keys: ['id'] })
  const c = process.cpuUsage(c0)
  console.log(i, (performance.now() - t0).toFixed(1), ((c.user + c.system) / 1000).toFixed(1))
  if (r.metrics.numTargetRowsInserted !== 200) throw new Error(`merge ${i}: ${JSON.stringify(r.metrics)}`)
  if (model) {
    model.apply(batch.rows)
    expectChecksum('lagomago', await lagomagoChecksum(dir), model.checksum())
  }
}
rmSync(dir, { recursive: true, force: true })
