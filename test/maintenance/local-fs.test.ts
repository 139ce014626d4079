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
    const v = await t.vacuum({ now: () => Date.now() + 8 * 86_400_000 })
    expect(v.filesDeleted).toHaveLength(13)
    expect(v.filesDeleted).toContain('part-00000-orphan.snappy.parquet')
    expect(canon(await (await DeltaTable.open(dir)).toRows())).toBe(rows)
    expect(readdirSync(dir)).toContain('_delta_log')
  })

  it('vacuum deletes temp files a crashed writer left (old ones only), in data folders and _delta_log', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lagomago-maint-'))
    dirs.push(dir)
    const t = await DeltaTable.create(dir, { schema: SCHEMA, partitionBy: ['part'] })
    await t.append([{ id: 1n, part: 'a', v: 1 }])
    const old = new Date(Date.now() - 30 * 86_400_000)
    for (const f of ['part=a/.lagomago-tmp-dead1', '_delta_log/.lagomago-tmp-dead2']) {
      writeFileSync(join(dir, f), 'half a commit')
      utimesSync(join(dir, f), old, old)
    }
    writeFileSync(join(dir, '_delta_log/.lagomago-tmp-inflight'), 'a commit being written now')
    const dry = await t.vacuum({ dryRun: true })
    expect(dry.filesDeleted).toEqual(['_delta_log/.lagomago-tmp-dead2', 'part=a/.lagomago-tmp-dead1'])
    await t.vacuum()
    expect(readdirSync(join(dir, '_delta_log'))).toContain('.lagomago-tmp-inflight')
    expect(readdirSync(join(dir, '_delta_log'))).not.toContain('.lagomago-tmp-dead2')
    expect(readdirSync(join(dir, 'part=a'))).not.toContain('.lagomago-tmp-dead1')
    expect(await (await DeltaTable.open(dir)).toRows()).toEqual([{ id: 1n, part: 'a', v: 1 }])
  })

  it('vacuum removes the partition folders it empties, and a writer racing into a pruned folder still lands', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lagomago-maint-'))
    dirs.push(dir)
    const t = await DeltaTable.create(dir, { schema: SCHEMA, partitionBy: ['part'] })
    await t.append([{ id: 1n, part: 'gone', v: 1 }, { id: 2n, part: 'kept', v: 2 }])
    await t.overwrite([{ id: 3n, part: 'kept', v: 3 }], { replaceWhere: "part = 'gone' OR part = 'kept'" })
    await t.vacuum({ now: () => Date.now() + 8 * 86_400_000 })
    expect(readdirSync(dir).sort()).toEqual(['_delta_log', 'part=kept'])
    expect(readdirSync(join(dir, 'part=kept'))).toHaveLength(1)
    // deletes that empty a folder while appends write into it: every append lands, nothing is lost
    const store = t.store
    await Promise.all(Array.from({ length: 20 }, async (_, i) => {
      await store.put(`part=race/f${i}`, new Uint8Array([i]))
      await store.delete(`part=race/f${i}`)
      await store.put(`part=race/g${i}`, new Uint8Array([i]))
    }))
    expect(readdirSync(join(dir, 'part=race')).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `g${i}`).sort())
  })
})
