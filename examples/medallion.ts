// Recipe: the medallion pipeline. Raw JSON-lines extracts land in a folder; bronze ingests them as they
// are (cast to the declared schema, what does not fit kept in `_rescued_data`, with ingestion
// metadata, exactly once by a stream checkpoint); silver keeps the latest row per order; gold is
// revenue per customer. A Job runs the three in order and records each run in the lake.
// `npm start` runs a larger version of this (src/medallion/demo); docs/medallion.md explains it.
// Run from the repository root: npx tsx examples/medallion.ts [lake-folder]
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { StructType } from 'lagomago'
import { Job, Lake, bronzeSchema, dedupe, formatTable, groupBy, ingestFiles, pipe, rebuild, select } from 'lagomago/medallion'

const root = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'lagomago-lake-'))
const landing = join(root, 'raw', 'orders')
mkdirSync(landing, { recursive: true })
const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n'
writeFileSync(join(landing, '2024-05-01.jsonl'), jsonl([
  { id: 1, customer: 'ana', amount: '10.00', updated_at: '2024-05-01T09:00:00Z' },
  { id: 2, customer: 'bia', amount: '25.50', updated_at: '2024-05-01T10:00:00Z' },
  { id: 3, customer: 'ana', amount: 'n/a', updated_at: '2024-05-01T11:00:00Z' },
]))
writeFileSync(join(landing, '2024-05-02.jsonl'), jsonl([
  { id: 1, customer: 'ana', amount: '12.00', updated_at: '2024-05-02T09:00:00Z' }, // a correction of order 1
  { id: 4, customer: 'bia', amount: '4.50', updated_at: '2024-05-02T10:00:00Z' },
]))

const orders: StructType = { type: 'struct', fields: [
  { name: 'id', type: 'long', nullable: false, metadata: {} },
  { name: 'customer', type: 'string', nullable: true, metadata: {} },
  { name: 'amount', type: 'decimal(10,2)', nullable: true, metadata: {} },
  { name: 'updated_at', type: 'timestamp', nullable: true, metadata: {} },
] }
const revenue: StructType = { type: 'struct', fields: [
  { name: 'customer', type: 'string', nullable: true, metadata: {} },
  { name: 'orders', type: 'long', nullable: false, metadata: {} },
  { name: 'revenue', type: 'decimal(12,2)', nullable: true, metadata: {} },
] }

const lake = new Lake(root)
const job = new Job('orders', [
  { name: 'bronze', writes: ['bronze.orders'], run: async ({ lake }) => {
    const bronze = await lake.table('bronze.orders', { schema: bronzeSchema(orders) })
    await ingestFiles(bronze, { landing, schema: orders, checkpointLocation: join(root, '_checkpoints', 'orders') })
  } },
  { name: 'silver', dependsOn: ['bronze'], writes: ['silver.orders'], run: async ({ lake }) => {
    const bronze = await lake.table('bronze.orders')
    const silver = await lake.table('silver.orders', { schema: orders })
    const latest = pipe(dedupe(['id'], 'updated_at'), select(orders.fields.map((f) => f.name)))
    await rebuild(silver, { bronze: bronze.version }, async () => latest(await bronze.toRows()))
  } },
  { name: 'gold', dependsOn: ['silver'], writes: ['gold.revenue'], run: async ({ lake }) => {
    const silver = await lake.table('silver.orders')
    const gold = await lake.table('gold.revenue', { schema: revenue })
    await rebuild(gold, { silver: silver.version }, async () =>
      groupBy(await silver.toRows(), ['customer'], { orders: { fn: 'count' }, revenue: { fn: 'sum', column: 'amount' } }))
  } },
])
const result = await job.run(lake)
console.log(`job ${result.status}:`, result.tasks.map((t) => `${t.task} ${t.status}`).join(', '))
console.log(formatTable(await (await lake.table('bronze.orders')).toRows(), { columns: ['id', 'amount', '_rescued_data'] }))
console.log(formatTable(await (await lake.table('gold.revenue')).toRows()))
