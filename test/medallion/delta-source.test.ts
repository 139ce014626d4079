// The incremental Delta reader: change feed batches of whole commits capped by maxFilesPerTrigger /
// maxBytesPerTrigger, a checkpointed offset (a restart reads only new commits), and the append-only
// mode without CDF (commits that remove data fail unless skipped).
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DeltaTable, UnsupportedFeatureError } from '../../src/index.js'
import { DeltaSource, type VersionOffset } from '../../src/medallion/delta-source.js'
import { runStream, StreamingQuery, type Row } from '../../src/medallion/stream.js'
import { applyCdc } from '../../src/medallion/cdc.js'
import type { StructType } from '../../src/schema/types.js'

const SCHEMA: StructType = { type: 'struct', fields: [{ name: 'id', type: 'long', nullable: false, metadata: {} }, { name: 'v', type: 'string', nullable: true, metadata: {} }] }

let dir: string
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'lagomago-dsrc-')) })
afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

async function consume(source: DeltaSource, cp = 'cp'): Promise<{ offsets: VersionOffset[]; rows: Row[][] }> {
  const offsets: VersionOffset[] = []
  const rows: Row[][] = []
  await runStream({ source, checkpointLocation: join(dir, cp), foreachBatch: async (b) => { offsets.push(b.offset); rows.push(b.rows) } })
  return { offsets, rows }
}

describe('DeltaSource', () => {
  it('reads the change feed in batches of whole commits, resuming from the checkpointed offset', async () => {
    const t = await DeltaTable.create(join(dir, 't'), { schema: SCHEMA, properties: { 'delta.enableChangeDataFeed': 'true' } })
    await t.append([{ id: 1n, v: 'a' }, { id: 2n, v: 'b' }])          // v1
    await t.append([{ id: 3n, v: 'c' }])                               // v2
    await t.overwrite([{ id: 3n, v: 'c2' }])                           // v3: deletes 1,2,3 and inserts 3
    const first = await consume(new DeltaSource({ table: t.url.replace('file://', ''), maxFilesPerTrigger: 1 }))
    expect(first.offsets.map((o) => [o.startVersion, o.endVersion])).toEqual([[0, 1], [2, 2], [3, 3]])
    const last = first.rows[2].map((r) => [r.id, r.v, r._change_type, r._commit_version]).sort()
    expect(last).toEqual([[1n, 'a', 'delete', 3n], [2n, 'b', 'delete', 3n], [3n, 'c', 'delete', 3n], [3n, 'c2', 'insert', 3n]].sort())

    await t.append([{ id: 4n, v: 'd' }])                               // v4
    const second = await consume(new DeltaSource({ table: join(dir, 't'), maxFilesPerTrigger: 1 }))
    expect(second.offsets.map((o) => [o.startVersion, o.endVersion])).toEqual([[4, 4]])
    expect(second.rows[0].map((r) => r.id)).toEqual([4n])
  })

  it('maxBytesPerTrigger groups small commits; without limits one batch takes everything', async () => {
    const t = await DeltaTable.create(join(dir, 't'), { schema: SCHEMA, properties: { 'delta.enableChangeDataFeed': 'true' } })
    for (let i = 0; i < 4; i++) await t.append([{ id: BigInt(i), v: 'x' }])
    const size = (await t.files())[0].size
    const byBytes = await consume(new DeltaSource({ table: join(dir, 't'), maxBytesPerTrigger: size * 2 }), 'a')
    expect(byBytes.offsets.map((o) => [o.startVersion, o.endVersion, o.files])).toEqual([[0, 2, 2], [3, 4, 2]])
    const all = await consume(new DeltaSource({ table: join(dir, 't'), startingVersion: 2 }), 'b')
    expect(all.offsets.map((o) => [o.startVersion, o.endVersion])).toEqual([[2, 4]])
    expect(all.rows[0].map((r) => r.id).sort()).toEqual([1n, 2n, 3n])
  })

  it('without CDF follows appends only; a commit that removes data fails unless skipChangeCommits', async () => {
    const t = await DeltaTable.create(join(dir, 't'), { schema: SCHEMA })
    await t.append([{ id: 1n, v: 'a' }])
    await t.append([{ id: 2n, v: 'b' }])
    const a = await consume(new DeltaSource({ table: join(dir, 't') }), 'a')
    expect(a.rows.flat().map((r) => r.id)).toEqual([1n, 2n])
    expect(a.rows.flat()[0]).not.toHaveProperty('_change_type')
    await t.overwrite([{ id: 9n, v: 'z' }])
    await t.append([{ id: 3n, v: 'c' }])
    await expect(consume(new DeltaSource({ table: join(dir, 't') }), 'a')).rejects.toThrow(UnsupportedFeatureError)
    const b = await consume(new DeltaSource({ table: join(dir, 't'), skipChangeCommits: true }), 'b')
    expect(b.rows.flat().map((r) => r.id)).toEqual([1n, 2n, 3n])
  })

  it('a processingTime query keeps a keyed copy in step with a table written meanwhile, reading only new commits', async () => {
    const KEYED: StructType = { type: 'struct', fields: [{ name: 'id', type: 'long', nullable: false, metadata: {} }, { name: 'v', type: 'string', nullable: true, metadata: {} }] }
    const src = await DeltaTable.create(join(dir, 'src'), { schema: KEYED, primaryKey: 'id', properties: { 'delta.enableChangeDataFeed': 'true' } })
    const dst = await DeltaTable.create(join(dir, 'dst'), { schema: KEYED, primaryKey: 'id' })
    const ranges: Array<[number, number]> = []
    const q = new StreamingQuery({
      source: new DeltaSource({ table: join(dir, 'src'), maxFilesPerTrigger: 2 }),
      checkpointLocation: join(dir, 'cp'),
      trigger: { processingTime: 10 },
      foreachBatch: async (b) => {
        ranges.push([b.offset.startVersion, b.offset.endVersion])
        await dst.refresh()
        return applyCdc(dst, b.rows, { txn: b.txn }) // the core reads the change feed as it is
      },
    })
    const running = q.start()
    for (let i = 0; i < 6; i++) {
      await src.append([{ id: BigInt(i), v: `v${i}` }])
      if (i % 2) await src.merge([{ op: 'D', id: BigInt(i - 1) }, { op: 'U', id: BigInt(i), v: `w${i}` }], { opColumn: 'op' })
      await new Promise((r) => setTimeout(r, 15))
    }
    const want = (await src.toRows()).map((r) => [r.id, r.v]).sort()
    const deadline = Date.now() + 10_000
    while (Date.now() < deadline) {
      await dst.refresh()
      if (JSON.stringify((await dst.toRows()).map((r) => [r.id, r.v]).sort(), (_k, v) => typeof v === 'bigint' ? `${v}` : v) === JSON.stringify(want, (_k, v) => typeof v === 'bigint' ? `${v}` : v)) break
      await new Promise((r) => setTimeout(r, 20))
    }
    q.stop()
    await running
    expect((await dst.toRows()).map((r) => [r.id, r.v]).sort()).toEqual(want)
    expect(want).toEqual([[1n, 'w1'], [3n, 'w3'], [5n, 'w5']])
    // every commit read exactly once, in order, no range re-read
    for (let i = 1; i < ranges.length; i++) expect(ranges[i][0]).toBe(ranges[i - 1][1] + 1)
    expect(ranges[ranges.length - 1][1]).toBe(src.version)
  })
})
