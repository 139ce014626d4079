// The file catalog: three-part (or two-part) names → <root>/<schema>/<table>, create-if-missing.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { InvalidArgumentError, TableNotFoundError } from '../../src/index.js'
import { Lake } from '../../src/medallion/catalog.js'
import type { StructType } from '../../src/schema/types.js'

const SCHEMA: StructType = { type: 'struct', fields: [{ name: 'id', type: 'long', nullable: false, metadata: {} }] }
let dir: string
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'lagomago-cat-')) })
afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

describe('Lake', () => {
  it('resolves names to folders and refuses malformed or foreign names', () => {
    const lake = new Lake(dir)
    expect(lake.path('lake.bronze.transacao')).toBe(join(dir, 'bronze', 'transacao'))
    expect(lake.path('Silver.Clientes')).toBe(join(dir, 'silver', 'clientes'))
    expect(lake.fullName('gold.saldo')).toBe('lake.gold.saldo')
    expect(() => lake.path('other.bronze.t')).toThrow(/names catalog 'other'/)
    for (const bad of ['t', 'a.b.c.d', 'lake.bronze.../x', 'lake.bronze.a-b', 'lake..t']) expect(() => lake.path(bad)).toThrow(InvalidArgumentError)
    expect(new Lake(dir, { catalog: 'prod' }).path('prod.bronze.t')).toBe(join(dir, 'bronze', 't'))
  })

  it('creates a missing table with its definition, opens it afterwards, lists tables', async () => {
    const lake = new Lake(dir)
    await expect(lake.table('lake.bronze.t')).rejects.toThrow(TableNotFoundError)
    expect(await lake.exists('bronze.t')).toBe(false)
    const t = await lake.table('lake.bronze.t', { schema: SCHEMA, primaryKey: 'id' })
    expect(t.metadata.name).toBe('lake.bronze.t')
    await t.append([{ id: 1n }])
    const again = await lake.table('bronze.t', { schema: SCHEMA })
    expect(again.version).toBe(1)
    await Promise.all([lake.table('lake.silver.u', { schema: SCHEMA }), lake.table('lake.silver.u', { schema: SCHEMA })]) // racing creators
    expect(await lake.tables()).toEqual(['lake.bronze.t', 'lake.silver.u'])
  })
})
