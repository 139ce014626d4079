// Job-mode worker: what a scheduled CDC job does with lagomago, in a fresh process — import the
// package (dist/, through the exports map, as a user gets it), open the table, merge one batch, exit.
// `node lagomago-merge.mjs <table> <batch.json> [more batches…]`: later batches are merged in the same
// process (the warm merges the first-merge job compares with).
import { phaseClock, readBatch } from './batch.mjs'

const clock = phaseClock()
// LAGOMAGO_IMPORT: another build's entry (the bench's --baseline), to compare commits in one run
const { DeltaTable } = await import(process.env.LAGOMAGO_IMPORT ?? 'lagomago')
clock.mark('import')
const [dir, ...batches] = process.argv.slice(2)
const merges = []
let rows = readBatch(batches[0])
clock.mark('input')
const table = await DeltaTable.open(dir)
clock.mark('open')
for (let i = 0; i < batches.length; i++) {
  const t0 = performance.now()
  const c0 = process.cpuUsage()
  const r = await table.merge(rows, { keys: ['id'] })
  const cpu = process.cpuUsage(c0)
  merges.push({ ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000, updated: r.metrics.numTargetRowsUpdated, inserted: r.metrics.numTargetRowsInserted, deleted: r.metrics.numTargetRowsDeleted })
  clock.mark('merge')
  if (i + 1 < batches.length) { rows = readBatch(batches[i + 1]); clock.mark('input') }
}
clock.report({ merges })
