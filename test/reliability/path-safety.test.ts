// Paths in the log that escape the table root (`..`, absolute paths, other schemes, URL-encoded dots,
// backslashes) are refused by default with UnsafePathError: add, remove and cdc paths, DV paths
// (`p` absolute, `u` with odd prefixes) and V2 checkpoint sidecars, through open, toRows and changes.
// A real Parquet file waits outside the root, so a path that slipped through would be read.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DeltaError, UnsafePathError } from '../../src/errors.js'
import { uuidToZ85 } from '../../src/scan/z85.js'
import type { StructType } from '../../src/schema/types.js'
import { DeltaTable } from '../../src/table/delta-table.js'

let root: string
let n = 0

beforeAll(() => { root = mkdtempSync(path.join(os.tmpdir(), 'lagomago-paths-')) })
afterAll(() => rmSync(root, { recursive: true, force: true }))

const schema: StructType = { type: 'struct', fields: [{ name: 'id', type: 'long', nullable: false, metadata: {} }] }

/** A table with one data file (CDF on) and a copy of that file outside the root, at `<root>/victim/v.parquet`. */
async function setup(): Promise<{ dir: string; dataFile: string; victim: string; size: number }> {
  const dir = path.join(root, `t${n++}`, 'table')
  const t = await DeltaTable.create(dir, { schema, properties: { 'delta.enableChangeDataFeed': 'true' } })
  await t.append([{ id: 1n }, { id: 2n }])
  const dataFile = readdirSync(dir).find((f) => f.endsWith('.parquet'))!
  const victimDir = path.join(dir, '..', 'victim')
  mkdirSync(victimDir, { recursive: true })
  const victim = path.join(victimDir, 'v.parquet')
  copyFileSync(path.join(dir, dataFile), victim)
  const size = (await t.files())[0].size
  return { dir, dataFile, victim, size }
}

/** Write commit 2 with `actions` (commitInfo added). */
function commit(dir: string, version: number, actions: object[]): void {
  const lines = [{ commitInfo: { timestamp: Date.now(), operation: 'WRITE' } }, ...actions].map((a) => JSON.stringify(a)).join('\n')
  writeFileSync(path.join(dir, '_delta_log', `${String(version).padStart(20, '0')}.json`), lines + '\n')
}

const add = (p: string, size: number, extra: object = {}) => ({ add: { path: p, partitionValues: {}, size, modificationTime: Date.now(), dataChange: true, ...extra } })

/** Open, read rows and changes; the first failure, or undefined when everything read. */
async function readAll(dir: string): Promise<unknown> {
  try {
    const t = await DeltaTable.open(dir)
    await t.toRows()
    await t.changes({ startVersion: 0 })
    return undefined
  } catch (e) {
    return e
  }
}

function escapes(victim: string, dir: string): string[] {
  const abs = victim
  return [
    '../victim/v.parquet',
    'a/../../victim/v.parquet',
    '%2e%2e/victim/v.parquet',
    '%2E%2E%2Fvictim%2Fv.parquet',
    '..%2fvictim%2fv.parquet',
    '..\\victim\\v.parquet',
    '..%5cvictim%5cv.parquet',
    abs,
    encodeURI(abs),
    `file://${abs}`,
    `file:${abs}`,
    `file:///${path.relative('/', dir)}/../victim/v.parquet`,
    's3://bucket/victim/v.parquet',
    'https://example.com/v.parquet',
    '//example.com/share/v.parquet',
    'C:\\victim\\v.parquet',
  ]
}

describe('path safety: paths escaping the table root are refused by default', () => {
  it('add.path', async () => {
    const { dir, victim, size } = await setup()
    for (const p of escapes(victim, dir)) {
      commit(dir, 2, [add(p, size)])
      const err = await readAll(dir)
      expect(err, `add.path ${p}`).toBeInstanceOf(UnsafePathError)
      expect((err as DeltaError).message, p).toContain(dir.split(path.sep).pop())
    }
  })

  it('a path inside the root, absolute or encoded, is still read', async () => {
    const { dir, dataFile, size } = await setup()
    const abs = path.join(dir, dataFile)
    for (const p of [abs, `file://${abs}`, `file:${abs}`, `sub/../${dataFile}`, `./${dataFile}`]) {
      commit(dir, 2, [{ remove: { path: dataFile, dataChange: true, deletionTimestamp: Date.now() } }, add(p, size)])
      const t = await DeltaTable.open(dir)
      expect(await t.toRows(), p).toHaveLength(2)
    }
  })

  it('allowExternalPaths opts in to absolute paths outside the root', async () => {
    const { dir, victim, size } = await setup()
    commit(dir, 2, [add(victim, size)])
    expect(await readAll(dir)).toBeInstanceOf(UnsafePathError)
    const t = await DeltaTable.open(dir, { allowExternalPaths: true })
    expect(t.version).toBe(2)
  })

  it('remove.path and cdc.path (read by changes)', async () => {
    const { dir, dataFile, victim, size } = await setup()
    for (const p of escapes(victim, dir)) {
      commit(dir, 2, [{ remove: { path: p, dataChange: true, deletionTimestamp: Date.now(), size } }])
      const t = await DeltaTable.open(dir)
      expect(await t.toRows()).toHaveLength(2) // the tombstone names no live file
      const err = await t.changes({ startVersion: 2 }).then(() => undefined, (e: unknown) => e)
      expect(err, `remove.path ${p}`).toBeInstanceOf(UnsafePathError)
      // VACUUM never deletes outside the root: it refuses a tombstone it cannot place, or ignores it.
      await t.vacuum({ retentionHours: 0, enforceRetentionDuration: false }).catch((e: unknown) => expect(e).toBeInstanceOf(DeltaError))
      expect(existsSync(victim), `VACUUM with remove.path ${p}`).toBe(true)
      commit(dir, 2, [{ cdc: { path: p, partitionValues: {}, size, dataChange: false } }, add(dataFile.replace('part-', 'x-'), size)])
      const err2 = await (await DeltaTable.open(dir)).changes({ startVersion: 2 }).then(() => undefined, (e: unknown) => e)
      expect(err2, `cdc.path ${p}`).toBeInstanceOf(UnsafePathError)
    }
  })

  it('deletion vector paths: `p` outside the root, `u` with escaping prefixes', async () => {
    const { dir, dataFile, victim, size } = await setup()
    const z = uuidToZ85('3b002e30-555c-4124-aec6-12ad91a04966')
    const dvs = [
      ...escapes(victim, dir).map((p) => ({ storageType: 'p', pathOrInlineDv: p })),
      ...['..', '../..', '%2e%2e', '..%2f..', '/etc', 'a\\..\\..', '..\\'].map((prefix) => ({ storageType: 'u', pathOrInlineDv: `${prefix}${z}` })),
    ]
    for (const dv of dvs) {
      commit(dir, 2, [
        { remove: { path: dataFile, dataChange: true, deletionTimestamp: Date.now() } },
        add(dataFile, size, { deletionVector: { ...dv, offset: 1, sizeInBytes: 34, cardinality: 1 } }),
      ])
      const err = await readAll(dir)
      expect(err, `DV ${JSON.stringify(dv)}`).toBeInstanceOf(UnsafePathError)
    }
  })

  it('V2 checkpoint sidecars', async () => {
    const { dir } = await setup()
    const t = await DeltaTable.open(dir)
    const log = path.join(dir, '_delta_log')
    for (const p of ['../../victim/v.parquet', '%2e%2e/%2e%2e/victim/v.parquet', '..\\..\\victim\\v.parquet', 'a/../../x.parquet', '/etc/passwd', 'file:///etc/passwd', 's3://b/x.parquet']) {
      const cp = [
        { checkpointMetadata: { version: 1 } },
        { protocol: t.protocol },
        { metaData: t.metadata },
        { sidecar: { path: p, sizeInBytes: 100, modificationTime: 0 } },
      ].map((a) => JSON.stringify(a)).join('\n')
      const name = `${'1'.padStart(20, '0')}.checkpoint.3b002e30-555c-4124-aec6-12ad91a04966.json`
      writeFileSync(path.join(log, name), cp + '\n')
      // The commits before the checkpoint are gone, so nothing can work around the sidecar.
      const saved = path.join(root, 'saved.json')
      copyFileSync(path.join(log, `${'0'.padStart(20, '0')}.json`), saved)
      rmSync(path.join(log, `${'0'.padStart(20, '0')}.json`))
      const err = await readAll(dir)
      copyFileSync(saved, path.join(log, `${'0'.padStart(20, '0')}.json`))
      rmSync(path.join(log, name))
      expect(err, `sidecar ${p}`).toBeInstanceOf(DeltaError)
      const e = err as DeltaError
      expect(e instanceof UnsafePathError || e.cause instanceof UnsafePathError, `sidecar ${p}: ${e.name} ${e.message}`).toBe(true)
    }
  })
})
