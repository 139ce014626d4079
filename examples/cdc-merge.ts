// Recipe: CDC into a table. A Debezium feed (envelope records, as the connector emits them) is applied
// to a Delta table by one CDC-mode MERGE: the latest change per key by log sequence number wins,
// deletes take the key from `before`. Formats and options: docs/change-feeds.md.
// Run from the repository root: npx tsx examples/cdc-merge.ts [table-folder]
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DeltaTable } from 'lagomago'

const dir = process.argv[2] ?? join(mkdtempSync(join(tmpdir(), 'lagomago-cdc-')), 'customers')

const customers = await DeltaTable.create(dir, {
  schema: { type: 'struct', fields: [
    { name: 'id', type: 'long', nullable: false, metadata: {} },
    { name: 'name', type: 'string', nullable: true, metadata: {} },
    { name: 'city', type: 'string', nullable: true, metadata: {} },
  ] },
  primaryKey: 'id', // the CDC merge's default keys
})
await customers.append([
  { id: 1n, name: 'ana', city: 'rio' },
  { id: 2n, name: 'bia', city: 'sao paulo' },
  { id: 3n, name: 'caio', city: 'belo horizonte' },
])

// One batch from the topic, out of order: lsn orders the changes of a key.
const feed = [
  { before: null, after: { id: 4, name: 'davi', city: 'porto alegre' }, op: 'c', source: { lsn: 10 }, ts_ms: 1 },
  { before: { id: 2, name: 'bia', city: 'sao paulo' }, after: { id: 2, name: 'bia', city: 'campinas' }, op: 'u', source: { lsn: 11 }, ts_ms: 2 },
  { before: { id: 1, name: 'ana', city: 'rio' }, after: null, op: 'd', source: { lsn: 12 }, ts_ms: 3 },
  { before: { id: 4, name: 'davi', city: 'porto alegre' }, after: { id: 4, name: 'davi', city: 'florianopolis' }, op: 'u', source: { lsn: 13 }, ts_ms: 4 },
  { before: { id: 2, name: 'bia', city: 'sao paulo' }, after: { id: 2, name: 'bia', city: 'santos' }, op: 'u', source: { lsn: 9 }, ts_ms: 0 },
]
const result = await customers.merge(feed, { sequence: 'source.lsn' })

console.log(`version ${result.version}, read as ${result.cdc?.format} ordered by ${result.cdc?.sequence}`)
for (const row of await customers.toRows()) console.log(row)
