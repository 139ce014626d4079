// Bronze full loads: the extract replaces the table's rows, cast to the declared schema; what the
// schema cannot hold is rescued with its file (default), or refused before anything is written.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DeltaTable, SchemaMismatchError, UnknownOptionError, type StructType } from '../../src/index.js'
import { bronzeSchema, fullLoad } from '../../src/medallion/bronze.js'
import { CastError } from '../../src/medallion/cast.js'

const RAW: StructType = { type: 'struct', fields: [
  { name: 'id', type: 'long', nullable: false, metadata: {} },
  { name: 'since', type: 'date', nullable: true, metadata: {} },
  { name: 'income', type: 'decimal(10,2)', nullable: true, metadata: {} },
] }

let dir: string
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'lagomago-bronze-')) })
afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

async function extract(name: string, rows: object[]): Promise<string> {
  const p = join(dir, name)
  await writeFile(p, rows.map((r) => JSON.stringify(r)).join('\n'))
  return p
}

const view = async (t: DeltaTable) => (await t.toRows({ columns: ['id', 'since', 'income', '_rescued_data'] }))
  .sort((a, b) => Number(a.id) - Number(b.id))
  .map((r) => [r.id, r.since instanceof Date ? r.since.toISOString().slice(0, 10) : r.since, r.income, r._rescued_data])

describe('fullLoad', () => {
  it('reads pt-BR text when asked; a US date or a bad amount is rescued with its file, never guessed', async () => {
    const t = await DeltaTable.create(join(dir, 't'), { schema: bronzeSchema(RAW) })
    const f = await extract('c_1.jsonl', [{ id: 1, since: '03/04/2024', income: '1.234,50' }, { id: 2, since: '2024-04-03', income: 'a combinar', cpf: '123' }])
    const r = await fullLoad(t, f, { schema: RAW, locale: 'pt-BR' })
    expect(r).toMatchObject({ rows: 2, rescued: 1, skipped: false })
    expect(await view(t)).toEqual([
      [1n, '2024-04-03', '1234.50', null],
      [2n, null, null, '{"since":"2024-04-03","income":"a combinar","cpf":"123","_file_path":"c_1.jsonl"}'],
    ])
    await fullLoad(t, f, { schema: RAW }) // ISO: the Brazilian date and amount are rescued, not read as 4 March
    expect(await view(t)).toEqual([
      [1n, null, null, '{"since":"03/04/2024","income":"1.234,50","_file_path":"c_1.jsonl"}'],
      [2n, '2024-04-03', null, '{"income":"a combinar","cpf":"123","_file_path":"c_1.jsonl"}'],
    ])
  })

  it('onError fail, a table without the rescued-data column, unknown options: refused, the table unchanged', async () => {
    const t = await DeltaTable.create(join(dir, 't'), { schema: bronzeSchema(RAW, [], { rescuedDataColumn: false }) })
    const f = await extract('c_2.jsonl', [{ id: 1, since: '2024-01-01' }, { id: 2, since: '03/04/2024' }])
    await expect(fullLoad(t, f, { schema: RAW })).rejects.toThrow(SchemaMismatchError)
    await expect(fullLoad(t, f, { schema: RAW })).rejects.toThrow(/no rescued-data column _rescued_data/)
    const e = await fullLoad(t, f, { schema: RAW, onError: 'fail' }).catch((x: unknown) => x)
    expect(e).toBeInstanceOf(CastError)
    expect(e).toMatchObject({ column: 'since', value: '03/04/2024', row: 1, file: 'c_2.jsonl' })
    await expect(fullLoad(t, f, { schema: RAW, onError: 'fail', mode: 'permissive' } as never)).rejects.toThrow(UnknownOptionError)
    expect(t.version).toBe(0)
    await fullLoad(t, await extract('c_3.jsonl', [{ id: 1, since: '2024-01-01' }]), { schema: RAW, onError: 'fail' })
    expect((await t.toRows()).map((r) => r.id)).toEqual([1n])
  })
})
