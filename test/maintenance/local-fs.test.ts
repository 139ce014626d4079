import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { DeltaTable } from '../../src/table/delta-table.js'
import { canon, SCHEMA } from './fixtures.js'

const dirs: string[] = []
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }) })

describe('maintenance on a local folder', () => {
  it('escaped partition paths: optimize and vacuum keep every active file; orphans go', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lagomago-maint-'))
    dirs.push(dir)
    const t = await DeltaTable.create(dir, { schema: SCHEMA, partitionBy: ['part'] })
    const parts = ['São Paulo', 'a b%c', 'x/y', '']
    for (let i = 0; i < 3; i++) await t.append(parts.map((p, j) => ({ id: BigInt(i * 10 + j), part: p === '' ? null : p, v: j })))
    const rows = canon(await t.toRows())
    const r = await t.optimize()
    expect(r.metrics.numFilesRemoved).toBe(12)
    expect(await t.files()).toHaveLength(4)
    writeFileSync(join(dir, 'part-00000-orphan.snappy.parquet'), 'x')
    const old = new Date(Date.now() - 30 * 86_400_000)
    utimesSync(join(dir, 'part-00000-orphan.snappy.parquet'), old, old)
    const v = await t.vacuum({ now: Date.now() + 8 * 86_400_000 })
    expect(v.filesDeleted).toHaveLength(13)
    expect(v.filesDeleted).toContain('part-00000-orphan.snappy.parquet')
    expect(canon(await (await DeltaTable.open(dir)).toRows())).toBe(rows)
    expect(readdirSync(dir)).toContain('_delta_log')
  })
})
