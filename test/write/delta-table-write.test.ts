import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { DeltaTable } from '../../src/table/delta-table.js'

const dirs: string[] = []
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }) })

describe('DeltaTable write methods', () => {
  it('create, append, overwrite on a local folder; the handle follows its writes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lagomago-write-'))
    dirs.push(dir)
    const t = await DeltaTable.create(dir, {
      schema: { type: 'struct', fields: [{ name: 'id', type: 'long', nullable: false, metadata: {} }, { name: 'city', type: 'string', nullable: true, metadata: {} }] },
      partitionBy: ['city'], primaryKey: 'id',
    })
    expect(t.version).toBe(0)
    const a = await t.append([{ id: 1n, city: 'Lisboa' }, { id: 2n, city: 'São Paulo' }])
    expect(a).toMatchObject({ version: 1, metrics: { numFiles: 2, numOutputRows: 2 } })
    expect(t.version).toBe(1)
    expect(readdirSync(dir).sort()).toEqual(['_delta_log', 'city=Lisboa', 'city=São Paulo'])
    const o = await t.overwrite([{ id: 3n, city: 'Lisboa' }], { replaceWhere: "city = 'Lisboa'" })
    expect(o.version).toBe(2)
    expect(t.version).toBe(2)
    const reopened = await DeltaTable.open(dir)
    expect((await reopened.toRows()).sort((x, y) => Number(x.id) - Number(y.id))).toEqual([{ id: 2n, city: 'São Paulo' }, { id: 3n, city: 'Lisboa' }])
    const history = await reopened.history()
    expect(history.map((h) => h.operation)).toEqual(['WRITE', 'WRITE', 'CREATE TABLE'])
  })
})
