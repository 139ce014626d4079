// Job-mode worker for LanceDB (bench/peers): connect, openTable, mergeInsert the upserts (BTREE index
// on id built at setup) and delete the deletes, exit. `node lance-merge.mjs <db dir> <batch.json>`.
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { phaseClock, readBatch } from './batch.mjs'

const clock = phaseClock()
const require = createRequire(join(import.meta.dirname, '..', 'peers', 'package.json'))
const lancedb = require('@lancedb/lancedb')
const arrow = require('apache-arrow')
clock.mark('import')
const [dir, batchFile] = process.argv.slice(2)
const rows = readBatch(batchFile)
clock.mark('input')
const db = await lancedb.connect(dir)
const table = await db.openTable('t')
clock.mark('open')
const upserts = rows.filter((r) => r.op !== 'D')
const deletes = rows.filter((r) => r.op === 'D').map((r) => r.id)
const batch = arrow.tableFromArrays({
  id: BigInt64Array.from(upserts, (r) => r.id),
  qty: Int32Array.from(upserts, (r) => r.qty),
  price: Float64Array.from(upserts, (r) => r.price),
  ts: BigInt64Array.from(upserts, (r) => BigInt(r.ts.getTime()) * 1000n),
}).assign(new arrow.Table({
  category: arrow.vectorFromArray(upserts.map((r) => r.category), new arrow.Utf8()),
  note: arrow.vectorFromArray(upserts.map((r) => r.note), new arrow.Utf8()),
}))
await table.mergeInsert('id').whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(batch)
if (deletes.length) await table.delete(`id IN (${deletes.join(',')})`)
clock.mark('merge')
clock.report()
