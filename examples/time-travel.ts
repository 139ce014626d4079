// Recipe: time travel. Every write is a version; open the table as of a version or a timestamp, and
// read the history of what each commit did.
// Run from the repository root: npx tsx examples/time-travel.ts [table-folder]
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DeltaTable } from 'lagomago'

const dir = process.argv[2] ?? join(mkdtempSync(join(tmpdir(), 'lagomago-tt-')), 'prices')

const t = await DeltaTable.create(dir, { schema: { type: 'struct', fields: [
  { name: 'sku', type: 'string', nullable: false, metadata: {} },
  { name: 'price', type: 'decimal(10,2)', nullable: true, metadata: {} },
] } })                                                                     // version 0: empty
await t.append([{ sku: 'a', price: '10.00' }, { sku: 'b', price: '20.00' }]) // version 1
await t.update("sku = 'a'", { price: "price * 2" })                         // version 2
await t.delete("sku = 'b'")                                                 // version 3

const v1 = await DeltaTable.open(dir, { version: 1 })
console.log('as of version 1:', await v1.toRows())

// by timestamp: the latest version committed at or before it
const history = await t.history()
const v2time = history.find((h) => h.version === 2)!.timestamp
const atV2 = await DeltaTable.open(dir, { timestamp: v2time })
console.log(`as of ${new Date(v2time).toISOString()} (version ${atV2.version}):`, await atV2.toRows())

console.log('now:', await t.toRows())
for (const h of history) console.log(`version ${h.version}: ${h.operation}`)
