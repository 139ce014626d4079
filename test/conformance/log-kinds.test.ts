// Conformance, log level: every `snapshot`, `activeFiles`, `partitionFilter` and `error` expectation
// of the shared corpus, checked against our log replay (and the replay checked against a JSON-only
// replay of the same version, which must agree whenever the commits are all still there).
import { afterAll, describe, expect, it } from 'vitest'
import { DeltaError } from '../../src/errors.js'
import type { AddFile } from '../../src/log/actions.js'
import { loadSnapshot, type Snapshot } from '../../src/log/snapshot.js'
import { findField, type DataType } from '../../src/schema/types.js'
import { LocalStore } from '../../src/storage/local-store.js'
import { DeltaTable } from '../../src/table/delta-table.js'
import { caveatFor, JSON_REPLAY_MISMATCH, REFUSED_TABLES } from './caveats.js'
import { casesOf, corpusAvailable, KindTally, loadManifest, sorted, tableDir, type Case } from './manifest.js'

const tally = new KindTally()
const caveatsNowPassing: string[] = []

afterAll(() => {
  console.log(tally.summary('conformance (log kinds):'))
  if (caveatsNowPassing.length) console.log(`documented caveats that now pass (remove them from caveats.ts): ${caveatsNowPassing.join(', ')}`)
})

async function open(c: Case): Promise<DeltaTable> {
  return DeltaTable.open(tableDir(c.entry), { version: c.expectation.version })
}

/** Run one expectation; a documented caveat may fail, and is reported if it passes. */
async function check(c: Case, body: () => Promise<void>): Promise<void> {
  const caveat = caveatFor(c.entry.name, c.expectation.kind)
  try {
    await body()
  } catch (e) {
    if (caveat) {
      tally.record(c.expectation.kind, 'caveat')
      return
    }
    tally.record(c.expectation.kind, 'fail')
    throw e
  }
  if (caveat) caveatsNowPassing.push(c.id)
  tally.record(c.expectation.kind, 'pass')
}

const decode = (p: string) => decodeURIComponent(p)
const baseName = (p: string) => decode(p).split('/').pop() ?? p

function totalSize(files: AddFile[]): number {
  return files.reduce((s, f) => s + f.size, 0)
}

/** The state the conformance cares about, as comparable plain values. */
function digest(s: Snapshot) {
  const key = (f: { path: string; deletionVector?: { storageType: string; pathOrInlineDv: string; offset?: number } | null }) =>
    `${f.path}|${f.deletionVector ? `${f.deletionVector.storageType}${f.deletionVector.pathOrInlineDv}@${f.deletionVector.offset ?? ''}` : ''}`
  return {
    version: s.version,
    protocol: s.protocol,
    metadataId: s.metadata.id,
    schema: JSON.stringify(s.schema),
    configuration: s.properties,
    txns: sorted([...s.txns].map(([k, v]) => `${k}=${v}`)),
    domains: sorted([...s.domainMetadata.keys()]),
    files: sorted(s.activeFiles().map((f) => `${key(f)}|${f.size}|${JSON.stringify(f.partitionValues)}`)),
  }
}

/** Checkpoints may drop expired tombstones (PROTOCOL.md "Checkpoints"), never invent them. */
function tombstoneKeys(s: Snapshot): string[] {
  return s.tombstones().map((f) => `${f.path}|${f.deletionVector?.pathOrInlineDv ?? ''}`)
}

/** numRecords of a stats string: checkpoints may store stats as structs, so compare the meaning. */
function statsCore(stats: string | null | undefined): string {
  if (!stats) return 'none'
  const s = JSON.parse(stats) as { numRecords?: number }
  return String(s.numRecords ?? 'none')
}

// -- partition filters given as [column, op, value] triples ------------------------------------------
// Translated to our SQL subset for files({ filter }); a small local evaluator on typed partition
// values cross-checks the result (two independent readings of the same triple must agree).

type Triple = [string, string, unknown?]

function typedValue(raw: string | null | undefined, t: DataType): number | string | boolean | null {
  if (raw === null || raw === undefined) return null
  if (t === 'string') return raw
  if (raw === '') return null
  if (['byte', 'short', 'integer', 'long', 'float', 'double'].includes(t as string) || String(t).startsWith('decimal')) return Number(raw)
  if (t === 'boolean') return raw === 'true'
  return raw
}

function matches(file: AddFile, filter: Triple[], snap: Snapshot): boolean {
  return filter.every(([col, op, value]) => {
    const field = findField(snap.schema, col)
    if (!field) throw new Error(`filter column ${col} not in schema`)
    const v = typedValue(file.partitionValues[field.name], field.type)
    const lit = (x: unknown) => typedValue(x as string, field.type)
    switch (op) {
      case 'is null': return v === null
      case 'is not null': return v !== null
      case 'in': return v !== null && (value as string[]).some((x) => lit(x) === v)
      case 'not in': return v !== null && (value as string[]).every((x) => lit(x) !== v)
    }
    const l = lit(value)
    if (v === null || l === null) return false
    switch (op) {
      case '=': return v === l
      case '!=': return v !== l
      case '<': return v < l
      case '<=': return v <= l
      case '>': return v > l
      case '>=': return v >= l
      default: throw new Error(`unknown filter op ${op}`)
    }
  })
}

function sqlLiteral(raw: unknown, t: DataType): string {
  const s = String(raw)
  if (t === 'string') return `'${s.replace(/'/g, "''")}'`
  if (t === 'date') return `DATE '${s}'`
  if (t === 'timestamp' || t === 'timestamp_ntz') return `TIMESTAMP '${s}'`
  return s // numbers and booleans as written
}

function tripleToSql(filter: Triple[], snap: Snapshot): string {
  return filter.map(([col, op, value]) => {
    const field = findField(snap.schema, col)
    if (!field) throw new Error(`filter column ${col} not in schema`)
    const c = `\`${field.name}\``
    switch (op) {
      case 'is null': return `${c} IS NULL`
      case 'is not null': return `${c} IS NOT NULL`
      case 'in': return `${c} IN (${(value as unknown[]).map((v) => sqlLiteral(v, field.type)).join(', ')})`
      case 'not in': return `${c} NOT IN (${(value as unknown[]).map((v) => sqlLiteral(v, field.type)).join(', ')})`
      default: return `${c} ${op === '!=' ? '<>' : op} ${sqlLiteral(value, field.type)}`
    }
  }).join(' AND ')
}

const available = corpusAvailable()

describe.skipIf(!available)('conformance: log kinds', () => {
  describe('snapshot', () => {
    for (const c of available ? casesOf('snapshot') : []) {
      it(c.id, () => check(c, async () => {
        const x = c.expectation as Record<string, any>
        const t = await open(c)
        if (x.version !== undefined) expect(t.version).toBe(x.version)
        if (x.versionIsLatest) expect(t.version).toBe(c.entry.latestVersion)
        const files = await t.files()
        if (x.numFiles !== undefined) expect(files.length).toBe(x.numFiles)
        if (x.activeFileCount !== undefined) expect(files.length).toBe(x.activeFileCount)
        if (x.activeFileNames) expect(sorted(files.map((f) => baseName(f.path)))).toEqual(sorted(x.activeFileNames))
        if (x.crcNumFiles !== undefined) expect(files.length).toBe(x.crcNumFiles)
        if (x.crcTableSizeBytes !== undefined) expect(totalSize(files)).toBe(x.crcTableSizeBytes)
        if (x.minReaderVersion !== undefined) expect(t.protocol.minReaderVersion).toBe(x.minReaderVersion)
        if (x.minWriterVersion !== undefined) expect(t.protocol.minWriterVersion).toBe(x.minWriterVersion)
        if (x.schemaFieldNames) expect(t.schema.fields.map((f) => f.name)).toEqual(x.schemaFieldNames)
        if (x.txnAppIdCount !== undefined) expect(t.txns.size).toBe(x.txnAppIdCount)
        for (const [app, v] of Object.entries((x.txn ?? {}) as Record<string, number>)) expect(t.txns.get(app)).toBe(v)
        for (const app of (x.txnAbsent ?? []) as string[]) expect(t.txns.has(app)).toBe(false)
        if (x.dvCardinality !== undefined) {
          expect(files.reduce((s, f) => s + (f.deletionVector?.cardinality ?? 0), 0)).toBe(x.dvCardinality)
        }
      }))
    }
  })

  describe('activeFiles', () => {
    for (const c of available ? casesOf('activeFiles') : []) {
      it(c.id, () => check(c, async () => {
        const x = c.expectation as Record<string, any>
        const t = await open(c)
        const files = await t.files()
        // The manifest lists paths as the upstream test saw them: raw from the log, or URL-decoded
        // (delta-rs decodes). Either form must match exactly.
        const raw = sorted(files.map((f) => f.path))
        const decoded = sorted(files.map((f) => decode(f.path)))
        const want = sorted(x.files as string[])
        const useDecoded = JSON.stringify(decoded) === JSON.stringify(want) && JSON.stringify(raw) !== JSON.stringify(want)
        expect(useDecoded ? decoded : raw).toEqual(want)
        const byPath = new Map(files.map((f) => [useDecoded ? decode(f.path) : f.path, f]))
        if (x.sizes) expect((x.files as string[]).map((p) => byPath.get(p)?.size)).toEqual(x.sizes)
        if (x.partitionValues) {
          for (const [col, values] of Object.entries(x.partitionValues as Record<string, string[]>)) {
            expect((x.files as string[]).map((p) => byPath.get(p)?.partitionValues[col])).toEqual(values)
          }
        }
        if (x.modificationTime !== undefined) expect(files.some((f) => f.modificationTime === x.modificationTime)).toBe(true)
        if (x.metadataId !== undefined) expect(t.metadata.id).toBe(x.metadataId)
        if (x.createdTime !== undefined) expect(t.metadata.createdTime).toBe(x.createdTime)
        if (x.partitionColumns) expect(t.partitionColumns).toEqual(x.partitionColumns)
        if (x.minReaderVersion !== undefined) expect(t.protocol.minReaderVersion).toBe(x.minReaderVersion)
        if (x.minWriterVersion !== undefined) expect(t.protocol.minWriterVersion).toBe(x.minWriterVersion)
        if (x.totalNumRecordsFromStats !== undefined) {
          expect(files.reduce((s, f) => s + (JSON.parse(f.stats ?? '{}').numRecords ?? 0), 0)).toBe(x.totalNumRecordsFromStats)
        }
        const tombstones = await t.tombstones()
        if (x.tombstoneCount !== undefined) expect(tombstones.length).toBe(x.tombstoneCount)
        for (const p of (x.tombstonesInclude ?? []) as string[]) expect(tombstones.map((r) => r.path)).toContain(p)
        for (const ts of (x.tombstoneDeletionTimestampsInclude ?? []) as number[]) expect(tombstones.map((r) => r.deletionTimestamp)).toContain(ts)
        if (x.tombstones) {
          const got = tombstones.map((r) => ({ path: r.path, deletionTimestamp: r.deletionTimestamp }))
          expect(sorted(got.map((r) => JSON.stringify(r)))).toEqual(sorted((x.tombstones as object[]).map((r) => JSON.stringify(r))))
        }
      }))
    }
  })

  describe('partitionFilter', () => {
    for (const c of available ? casesOf('partitionFilter') : []) {
      it(c.id, () => check(c, async () => {
        const x = c.expectation as Record<string, any>
        const t = await open(c)
        const kept = await t.files({ filter: tripleToSql(x.filter as Triple[], t.snapshot) })
        const local = (await t.files()).filter((f) => matches(f, x.filter as Triple[], t.snapshot))
        expect(sorted(kept.map((f) => f.path))).toEqual(sorted(local.map((f) => f.path)))
        if (x.files) expect(sorted(kept.map((f) => f.path))).toEqual(sorted(x.files as string[]))
        if (x.fileCount !== undefined) expect(kept.length).toBe(x.fileCount)
        if (x.rowCount !== undefined) {
          // Without deletion vectors the row count of whole files is the sum of their numRecords.
          expect(kept.every((f) => !f.deletionVector && f.stats)).toBe(true)
          expect(kept.reduce((s, f) => s + JSON.parse(f.stats as string).numRecords, 0)).toBe(x.rowCount)
        }
      }))
    }
  })

  describe('error', () => {
    for (const c of available ? casesOf('error') : []) {
      it(c.id, () => check(c, async () => {
        const err = await open(c).then(() => undefined, (e: unknown) => e)
        expect(err, 'opening must fail').toBeInstanceOf(DeltaError)
      }))
    }
  })

  describe('checkpoint replay equals JSON-only replay', () => {
    // commitVersions is a list, or a range text such as "0..25 (26 files)".
    const startsAtZero = (cv: unknown) => Array.isArray(cv) ? cv[0] === 0 : typeof cv === 'string' && cv.startsWith('0..')
    const entries = available ? loadManifest().filter((e) => startsAtZero(e.log.commitVersions)) : []
    for (const entry of entries) {
      if (REFUSED_TABLES[entry.name] || JSON_REPLAY_MISMATCH[entry.name] || entry.expectedStatus === 'expect error') continue
      const cps = entry.features.some((f) => f.startsWith('checkpoint:') || f === 'logCompaction')
      if (!cps) continue
      it(entry.name, async () => {
        // Every version from the first checkpoint on (earlier ones are JSON replays either way).
        const store = new LocalStore(tableDir(entry))
        const log = entry.log as { classicCheckpoints?: number[]; multipartCheckpoints?: Record<string, number>; v2Checkpoints?: string[] }
        const cpVersions = [...(log.classicCheckpoints ?? []), ...Object.keys(log.multipartCheckpoints ?? {}).map(Number),
          ...(log.v2Checkpoints ?? []).map((v) => Number(v.split(':')[0]))]
        const from = cpVersions.length ? Math.min(...cpVersions) : 0
        for (let v = from; v <= entry.latestVersion; v++) {
          const fast = await loadSnapshot(store, { version: v })
          const slow = await loadSnapshot(store, { version: v, jsonOnly: true })
          expect(digest(fast), `version ${v}`).toEqual(digest(slow))
          // A checkpoint may omit stats (writeStatsAsJson/Struct = false) but never change them.
          const slowStats = new Map(slow.activeFiles().map((f) => [f.path, statsCore(f.stats)]))
          for (const f of fast.activeFiles()) if (f.stats) expect(statsCore(f.stats), f.path).toBe(slowStats.get(f.path))
          const all = new Set(tombstoneKeys(slow))
          expect(tombstoneKeys(fast).filter((k) => !all.has(k)), `version ${v}`).toEqual([])
        }
      })
    }
  })

  describe('tables refused on purpose', () => {
    for (const [name, reason] of Object.entries(available ? REFUSED_TABLES : {})) {
      it(`${name}: ${reason}`, async () => {
        const entry = loadManifest().find((e) => e.name === name)
        expect(entry).toBeDefined()
        await expect(DeltaTable.open(tableDir(entry!))).rejects.toBeInstanceOf(DeltaError)
      })
    }
  })
})
