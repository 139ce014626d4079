// A Delta round trip through DeltaTable on any store: create, append, CDC merge, delete, a
// checkpoint (interval 3), then a fresh handle on a fresh store instance reads the rows back and
// time-travels. Run by s3.test.ts and azure.test.ts against their real servers.
import { expect, it } from 'vitest'
import { DeltaTable } from '../../src/index.js'
import { listAll, type ObjectStore } from '../../src/storage/index.js'
import type { StructField } from '../../src/schema/types.js'

const f = (name: string, type: StructField['type'], nullable = true): StructField => ({ name, type, nullable, metadata: {} })
const byId = (rows: Record<string, unknown>[]) => [...rows].sort((a, b) => Number(a.id) - Number(b.id))

export function deltaRoundTrip(make: (prefix: string) => ObjectStore): void {
  it('DeltaTable round trip: create, append, merge, delete, checkpoint; reopen and time travel', async () => {
    const prefix = `delta-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`
    const t = await DeltaTable.create(make(prefix), {
      schema: { type: 'struct', fields: [f('id', 'long', false), f('region', 'string'), f('amount', 'double')] },
      partitionBy: ['region'], primaryKey: 'id', properties: { 'delta.checkpointInterval': '3' },
    })
    await t.append([{ id: 1n, region: 'eu', amount: 10 }, { id: 2n, region: 'us', amount: 20 }])
    await t.append([{ id: 3n, region: 'eu', amount: 30 }])
    await t.merge([{ op: 'U', id: 2n, region: 'us', amount: 21 }, { op: 'I', id: 4n, region: 'br', amount: 40 }, { op: 'D', id: 1n, region: 'eu' }])
    await t.delete("region = 'br'")
    expect(t.version).toBe(4)

    const store = make(prefix)
    const keys = (await listAll(store, '_delta_log/')).map((m) => m.key)
    expect(keys).toContain('_delta_log/00000000000000000003.checkpoint.parquet')
    expect(keys).toContain('_delta_log/_last_checkpoint')

    const again = await DeltaTable.open(store)
    expect(again.version).toBe(4)
    expect(byId(await again.toRows())).toEqual([{ id: 2n, region: 'us', amount: 21 }, { id: 3n, region: 'eu', amount: 30 }])
    const v1 = await DeltaTable.open(make(prefix), { version: 1 })
    expect(byId(await v1.toRows())).toEqual([{ id: 1n, region: 'eu', amount: 10 }, { id: 2n, region: 'us', amount: 20 }])
    expect((await again.history()).map((h) => h.version)).toEqual([4, 3, 2, 1, 0])
    expect(byId(await again.toRows({ filter: "region = 'eu'" }))).toEqual([{ id: 3n, region: 'eu', amount: 30 }])
  })
}
