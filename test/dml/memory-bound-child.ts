// The child of memory-bound.test.ts, run under a small `--max-old-space-size`: a CDC merge into the
// table, then a scan of every row one batch at a time. Prints the merge's metrics and what the scan saw.
import { readFileSync } from 'node:fs'
import { DeltaTable } from '../../src/index.js'

const [dir, batchFile] = process.argv.slice(2)
const batch = (JSON.parse(readFileSync(batchFile, 'utf8')) as Array<Record<string, unknown>>)
  .map((r) => ({ ...r, id: BigInt(r.id as string) }))
const t = await DeltaTable.open(dir)
const { metrics } = await t.merge(batch, { keys: ['id'] })
let rows = 0
let noteChars = 0
let idSum = 0n
for await (const b of t.scan()) {
  const id = b.getChild('id')!
  const note = b.getChild('note')!
  for (let i = 0; i < b.numRows; i++) { idSum += id.get(i) as bigint; noteChars += (note.get(i) as string).length }
  rows += b.numRows
}
console.log(JSON.stringify({ metrics, rows, noteChars, idSum: String(idSum), heapLimitMiB: Math.round(((await import('node:v8')).getHeapStatistics().heap_size_limit) / 2 ** 20) }))
