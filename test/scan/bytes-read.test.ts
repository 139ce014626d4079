// Over HTTP or S3 every byte a scan fetches is paid for: a data file's footer and column chunks are
// fetched by range, so a full scan reads each file about once (the footer's bytes twice at most).
import { describe, expect, it } from 'vitest'
import { DeltaTable, MemoryStore } from '../../src/index.js'

describe('bytes a read fetches', () => {
  it('a full scan and a merge read each data file about once, not a 512 KiB footer fetch on top', async () => {
    const store = new MemoryStore('mem://bytes-read')
    const t = await DeltaTable.create(store, { schema: { type: 'struct', fields: [
      { name: 'id', type: 'long', nullable: false, metadata: {} },
      { name: 'note', type: 'string', nullable: true, metadata: {} },
    ] } })
    // random-looking text so the file stays near its raw size (~1.5 MB) under Snappy
    const rows = Array.from({ length: 60_000 }, (_, i) => ({ id: BigInt(i), note: `${(i * 2654435761) % 4294967296}-${(i * 40503) % 65536}-${i}` }))
    await t.append(rows)
    const [file] = await (await DeltaTable.open(store)).files()
    expect(file.size).toBeGreaterThan(1 << 20)

    let fetched = 0
    const getRange = store.getRange.bind(store)
    store.getRange = async (key, start, end) => {
      const bytes = await getRange(key, start, end)
      if (key.endsWith('.parquet') && !key.includes('_delta_log')) fetched += bytes.byteLength
      return bytes
    }
    const read = await (await DeltaTable.open(store)).toRows()
    expect(read.length).toBe(rows.length)
    expect(fetched).toBeLessThanOrEqual(file.size + (64 << 10))

    fetched = 0
    await (await DeltaTable.open(store)).merge([{ id: 7n, note: 'x', op: 'U' }], { keys: ['id'] })
    // the key read fetches the footer and the id column only
    expect(fetched).toBeLessThan(file.size / 2 + (64 << 10))
  })
})
