// Identity columns on the write path (PROTOCOL.md "Identity Columns"), through the public API.
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { tableFromArrays } from 'apache-arrow'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { ConstraintViolationError, DeltaTable } from '../../src/index.js'
import type { StructField, StructType } from '../../src/schema/types.js'
import { CONFORMANCE_DIR } from '../conformance/manifest.js'

const dirs: string[] = []
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }) })
const tmp = () => { const d = mkdtempSync(join(tmpdir(), 'lagomago-identity-')); dirs.push(d); return d }

const schema = (identity: Record<string, unknown>): StructType => ({
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: false, metadata: identity },
    { name: 'v', type: 'string', nullable: true, metadata: {} },
  ],
})
const idField = (t: DeltaTable): StructField => t.schema.fields.find((f) => f.name === 'id')!
const ids = async (t: DeltaTable) => (await t.toRows()).map((r) => r.id as bigint).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))

describe('identity columns', () => {
  it('generate start + k·step beyond the high water mark, one commit at a time', async () => {
    const t = await DeltaTable.create(tmp(), { schema: schema({ 'delta.identity.start': 10, 'delta.identity.step': 5, 'delta.identity.allowExplicitInsert': false }) })
    expect(t.protocol.writerFeatures ?? []).toContain('identityColumns')
    await t.append([{ v: 'a' }, { v: 'b' }, { v: 'c' }])
    expect(await ids(t)).toEqual([10n, 15n, 20n])
    expect(idField(t).metadata['delta.identity.highWaterMark']).toBe(20)
    await t.append([{ v: 'd' }])
    expect(await ids(t)).toEqual([10n, 15n, 20n, 25n])
    expect(idField(t).metadata['delta.identity.highWaterMark']).toBe(25)
    // time travel sees the mark of its version
    const v1 = await DeltaTable.open(t.snapshot.tableUrl, { version: 1 })
    expect(idField(v1).metadata['delta.identity.highWaterMark']).toBe(20)
  })

  it('fills identity values for Arrow input that lacks the column', async () => {
    const t = await DeltaTable.create(tmp(), { schema: schema({ 'delta.identity.start': 100, 'delta.identity.step': 10 }) })
    await t.append(tableFromArrays({ v: ['x', 'y'] }))
    expect(await ids(t)).toEqual([100n, 110n])
  })

  it('refuses explicit values when allowExplicitInsert is false, leaving the table as it was', async () => {
    const t = await DeltaTable.create(tmp(), { schema: schema({ 'delta.identity.start': 1, 'delta.identity.step': 1, 'delta.identity.allowExplicitInsert': false }) })
    const err = await t.append([{ v: 'a' }, { id: 7n, v: 'b' }]).catch((e) => e)
    expect(err).toBeInstanceOf(ConstraintViolationError)
    expect(err.message).toMatch(/column id .* row 1/)
    await t.refresh()
    expect(t.version).toBe(0)
  })

  it('keeps explicit values when allowed and numbers the rest; negative steps count down', async () => {
    const t = await DeltaTable.create(tmp(), { schema: schema({ 'delta.identity.start': -1, 'delta.identity.step': -2, 'delta.identity.allowExplicitInsert': true }) })
    await t.append([{ v: 'a' }, { id: 100n, v: 'b' }, { id: null, v: 'c' }])
    expect(await ids(t)).toEqual([-3n, -1n, 100n])
    expect(idField(t).metadata['delta.identity.highWaterMark']).toBe(-3)
  })

  it('detects overflow before writing', async () => {
    const t = await DeltaTable.create(tmp(), { schema: schema({ 'delta.identity.start': '9223372036854775806', 'delta.identity.step': 1 }) })
    const err = await t.append([{ v: 'a' }, { v: 'b' }, { v: 'c' }]).catch((e) => e)
    expect(err).toBeInstanceOf(ConstraintViolationError)
    expect(err.message).toMatch(/overflows a long at row 2/)
  })

  it('never repeats a value across appends (property)', async () => {
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: -50, max: 50 }), fc.integer({ min: -7, max: 7 }).filter((s) => s !== 0), fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 4 }),
      async (start, step, batches) => {
        const t = await DeltaTable.create(`memory://identity-${Math.random()}`, { schema: schema({ 'delta.identity.start': start, 'delta.identity.step': step }) })
        for (const n of batches) if (n > 0) await t.append(Array.from({ length: n }, (_, i) => ({ v: String(i) })))
        const got = await ids(t)
        const total = batches.reduce((a, b) => a + b, 0)
        const want = Array.from({ length: total }, (_, k) => BigInt(start) + BigInt(k) * BigInt(step)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
        expect(got).toEqual(want)
      }), { numRuns: 25 })
  })

  it('appends to a Spark table with an identity column (copied to a temp dir) after its high water mark', async () => {
    const src = join(CONFORMANCE_DIR, 'tables', 'delta__identity_test_written_by_version_5', 'delta')
    if (!existsSync(src)) { expect.soft(existsSync(src), `conformance table missing: ${src}`).toBe(true); return }
    const dir = tmp()
    cpSync(src, dir, { recursive: true })
    const t = await DeltaTable.open(dir)
    await t.append([{ part: 9, value: 'nine' }, { part: 9, value: 'ten' }])
    expect(await ids(t)).toEqual([1n, 2n, 4n, 5n, 6n])
    expect(idField(t).metadata['delta.identity.highWaterMark']).toBe(6)
  })

  it('OPTIMIZE, VACUUM, ALTER and RESTORE work on identity tables and keep the values', async () => {
    const t = await DeltaTable.create(tmp(), { schema: schema({ 'delta.identity.start': 1, 'delta.identity.step': 1, 'delta.identity.allowExplicitInsert': false }) })
    for (const v of ['a', 'b', 'c']) await t.append([{ v }])
    await t.optimize()
    expect(await t.files()).toHaveLength(1)
    expect(await ids(t)).toEqual([1n, 2n, 3n])
    await t.setProperties({ owner: 'ops' })
    await t.restore({ version: 2 })
    expect(await ids(t)).toEqual([1n, 2n])
    await t.vacuum({ now: () => Date.now() + 8 * 86_400_000 })
    await t.append([{ v: 'd' }])
    expect((await ids(t)).at(-1)).toBeGreaterThan(2n)
  })
})
