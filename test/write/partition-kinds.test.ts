// Binary partition columns (PROTOCOL.md "Partition Value Serialization": the bytes' text) and the
// `materializePartitionColumns` writer feature (partition values also inside each data file), on
// copies of the corpus tables that carry them.
import { cpSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parquetMetadata, parquetReadObjects } from 'hyparquet'
import { describe, expect, it } from 'vitest'
import { DeltaTable, SchemaMismatchError } from '../../src/index.js'
import { corpusAvailable } from '../conformance/manifest.js'

const CORPUS = '/work/shared/conformance/tables'
function copyOf(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'lagomago-parts-'))
  cpSync(join(CORPUS, name, 'delta'), dir, { recursive: true })
  return dir
}
const canon = (rows: Record<string, unknown>[]) => rows.map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? [...v] : v))).sort()
const text = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b))

describe.runIf(corpusAvailable())('binary partition columns', () => {
  it('append to dat__multi_partitioned: values as UTF-8 text, read back, pruned', async () => {
    const dir = copyOf('dat__multi_partitioned')
    const t = await DeltaTable.open(dir)
    const before = await t.toRows()
    expect(before.length).toBeGreaterThan(0)
    const extra = { letter: 'z', date: null, data: new Uint8Array([0x00, 0x2f, 0xe2, 0x82, 0xac]), number: 99n }
    await t.append([...before, extra])
    const after = await t.toRows()
    expect(canon(after)).toEqual(canon([...before, ...before, extra]))
    // Each new file's partition value is the bytes' text; its folder escapes it as Spark does.
    const added = (await t.files()).filter((f) => f.partitionValues.letter === 'z')
    expect(added.map((f) => f.partitionValues.data)).toEqual(['\u0000/€'])
    expect(decodeURIComponent(added[0].path)).toContain('data=%00%2F€/')
    // A filter on the binary partition column: the rows the model selects, and only those files read.
    const hello = new TextEncoder().encode('hello')
    const want = after.filter((r) => text(r.data as Uint8Array | null) === 'hello')
    const got = await t.toRows({ filter: "data = X'68656c6c6f'" })
    expect(canon(got)).toEqual(canon(want))
    expect(want.every((r) => (r.data as Uint8Array).every((b, i) => b === hello[i]))).toBe(true)
    const files = await t.files({ filter: "data = X'68656c6c6f'" })
    expect(files.length).toBe((await t.files()).filter((f) => f.partitionValues.data === 'hello').length)
  })

  it('bytes that are not UTF-8 are refused before anything is written', async () => {
    const dir = copyOf('dat__multi_partitioned')
    const t = await DeltaTable.open(dir)
    const v = t.version
    await expect(t.append([{ letter: 'q', date: null, data: new Uint8Array([0xff, 0x00]), number: 1n }])).rejects.toThrow(SchemaMismatchError)
    expect((await DeltaTable.open(dir)).version).toBe(v)
  })

  it('create({ partitionBy }) on a binary column round-trips its bytes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lagomago-parts-'))
    const t = await DeltaTable.create(dir, { schema: { type: 'struct', fields: [
      { name: 'b', type: 'binary', nullable: true, metadata: {} }, { name: 'n', type: 'long', nullable: true, metadata: {} },
    ] }, partitionBy: ['b'] })
    const rows = [{ b: new Uint8Array([0x61, 0x3d, 0x25]), n: 1n }, { b: null, n: 2n }, { b: new TextEncoder().encode('😈'), n: 3n }]
    await t.append(rows)
    expect(canon(await t.toRows())).toEqual(canon(rows))
  })
})

describe.runIf(corpusAvailable())('materializePartitionColumns', () => {
  it('kernelrs__partitioned_with_materialize_feature: every new file holds the partition column', async () => {
    const dir = copyOf('kernelrs__partitioned_with_materialize_feature')
    const t = await DeltaTable.open(dir)
    const before = await t.toRows()
    const original = new Set((await t.files()).map((f) => f.path))
    await t.append(before)
    await t.delete('number = 1')
    await t.update('number = 2', { a_float: '0.5' })
    await t.optimize()
    // The model: each row twice, number 1 gone, number 2 with a_float 0.5.
    const model = [...before, ...before].filter((r) => r.number !== 1n).map((r) => (r.number === 2n ? { ...r, a_float: 0.5 } : r))
    expect(canon(await t.toRows())).toEqual(canon(model))
    const fresh = (await t.files()).filter((f) => !original.has(f.path))
    expect(fresh.length).toBeGreaterThan(0)
    for (const f of fresh) {
      const bytes = readFileSync(join(dir, decodeURIComponent(f.path)))
      const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)
      const names = parquetMetadata(file).schema.map((s) => s.name)
      expect(names, f.path).toContain('letter')
      const inFile = await parquetReadObjects({ file, columns: ['letter'] })
      expect(inFile.every((r) => (r.letter ?? null) === f.partitionValues.letter), f.path).toBe(true)
      // No stats for a partition column (the RFC): its value is in partitionValues already.
      expect(JSON.parse(f.stats!).minValues).not.toHaveProperty('letter')
    }
  })

  it('delta.writePartitionColumnsToParquet asks for the same on a table without the feature', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lagomago-parts-'))
    const t = await DeltaTable.create(dir, { schema: { type: 'struct', fields: [
      { name: 'p', type: 'string', nullable: true, metadata: {} }, { name: 'n', type: 'long', nullable: true, metadata: {} },
    ] }, partitionBy: ['p'], properties: { 'delta.writePartitionColumnsToParquet': 'true' } })
    await t.append([{ p: 'x', n: 1n }])
    const [f] = await t.files()
    const bytes = readFileSync(join(dir, decodeURIComponent(f.path)))
    expect(parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)).schema.map((s) => s.name)).toContain('p')
  })
})
