// Fuzzing the log reader with damaged and hostile tables (fast-check): truncated and malformed JSON
// lines, wrong field types, huge numbers, deep schemas, bogus partition values, unknown actions,
// broken checkpoints and `_last_checkpoint`, bad DV descriptors, absurd sizes. Opening and reading
// must succeed or raise a DeltaError subclass naming the table, never crash, hang or over-allocate.
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DeltaError } from '../../src/errors.js'
import { writeCheckpoint } from '../../src/log/checkpoint-write.js'
import { mkdtempSync, rmSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { LocalStore } from '../../src/storage/local-store.js'
import { MemoryStore } from '../../src/storage/memory-store.js'
import { listAll, type ObjectStore } from '../../src/storage/object-store.js'
import { DeltaTable } from '../../src/table/delta-table.js'

const RUNS = Number(process.env.LAGOMAGO_FUZZ_RUNS ?? 60)
const SEED = Number(process.env.LAGOMAGO_FUZZ_SEED ?? 42)
/** Per-test time limit, scaled for long runs. */
const LIMIT = 60_000 * Math.max(1, RUNS / 60)

/** The pristine table, as key → bytes: commits 0–5, a checkpoint at 3, inline and on-disk DVs, CDF. */
let base: Map<string, Uint8Array>
const tally = { cases: 0, opened: 0, typedErrors: 0, byClass: {} as Record<string, number> }

beforeAll(async () => {
  const store = new MemoryStore()
  const t = await DeltaTable.create(store, {
    schema: { type: 'struct', fields: [
      { name: 'id', type: 'long', nullable: false, metadata: {} },
      { name: 'p', type: 'integer', nullable: true, metadata: {} },
      { name: 's', type: { type: 'struct', fields: [{ name: 'a', type: 'string', nullable: true, metadata: {} }] }, nullable: true, metadata: {} },
    ] },
    partitionBy: ['p'], properties: { 'delta.enableChangeDataFeed': 'true', 'delta.checkpointInterval': '100' },
  })
  await t.append(Array.from({ length: 300 }, (_, i) => ({ id: BigInt(i), p: i % 2, s: { a: `x${i}` } })))
  await t.delete('id % 3 = 0') // a bitmap too big to inline: a DV file
  await writeCheckpoint(t.snapshot)
  await t.append([{ id: 1000n, p: 1, s: null }])
  await t.delete('id = 5') // inline DV
  base = new Map()
  for (const m of await listAll(store, '')) base.set(m.key, await store.get(m.key))
})

afterAll(() => {
  if (tally.cases) console.log(`log fuzz: ${JSON.stringify(tally)}`)
})

let counter = 0
function storeFrom(files: Map<string, Uint8Array>): MemoryStore {
  const name = `fuzz-${process.pid}-${counter++}`
  const s = new MemoryStore(name)
  for (const [k, v] of files) void s.put(k, v)
  return s
}

const enc = new TextEncoder()
const dec = new TextDecoder()
const keys = (re: RegExp) => [...base.keys()].filter((k) => re.test(k)).sort()

async function localStoreFrom(files: Map<string, Uint8Array>): Promise<LocalStore> {
  const s = new LocalStore(mkdtempSync(path.join(os.tmpdir(), 'lagomago-fuzz-')))
  for (const [k, v] of files) await s.put(k, v)
  return s
}

/** Open and read everything a user would; a result or a DeltaError naming the table, nothing else. */
async function exercise(files: Map<string, Uint8Array>, what: string, local = false): Promise<void> {
  const store: ObjectStore = local ? await localStoreFrom(files) : storeFrom(files)
  tally.cases++
  try {
    const work = (async () => {
      const t = await DeltaTable.open(store)
      await t.files()
      await t.toRows()
      await t.history()
      await t.changes({ startVersion: 0 })
      await (await DeltaTable.open(store, { version: 3 })).toRows()
    })()
    let timer: NodeJS.Timeout | undefined
    const hang = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`hang: ${what} took over 10 s`)), 10_000) })
    try {
      await Promise.race([work, hang])
      tally.opened++
    } catch (e) {
      if (!(e instanceof DeltaError)) throw new Error(`${what}: raised ${(e as Error)?.constructor?.name}: ${(e as Error)?.stack ?? e}`)
      tally.typedErrors++
      tally.byClass[e.name] = (tally.byClass[e.name] ?? 0) + 1
      // The message names the table (its URL) or the error carries it.
      expect(e.message.includes(store.url) || e.table === store.url, `${what}: ${e.name} does not name the table: ${e.message}`).toBe(true)
    } finally {
      clearTimeout(timer)
    }
  } finally {
    if (store instanceof LocalStore) rmSync(store.root, { recursive: true, force: true })
    else MemoryStore.drop(store.url.slice('memory://'.length))
  }
}

/** The table without its checkpoint, so that edits of commits 0–2 reach the replayed state. */
function withoutCheckpoint(files: Map<string, Uint8Array>): Map<string, Uint8Array> {
  const m = new Map(files)
  for (const k of m.keys()) if (/checkpoint/.test(k)) m.delete(k)
  return m
}

function withFile(key: string, bytes: Uint8Array): Map<string, Uint8Array> {
  const m = new Map(base)
  m.set(key, bytes)
  return m
}

function editLine(key: string, line: number, edit: (l: string) => string | undefined): Map<string, Uint8Array> {
  const lines = dec.decode(base.get(key)).split('\n')
  const i = line % Math.max(1, lines.length - 1)
  const out = edit(lines[i])
  if (out === undefined) lines.splice(i, 1)
  else lines[i] = out
  return withFile(key, enc.encode(lines.join('\n')))
}

/** Values engines never write: wrong types, huge and negative numbers, odd strings, deep nesting. */
const hostile = fc.oneof(
  fc.constantFrom(null, true, -1, -0.5, 0, 1e308, -1e308, 2 ** 53 + 2, 2 ** 31, 2 ** 32 + 5, 1e21, '', 'x', '-1', 'NaN', '1e999',
    '__HIVE_DEFAULT_PARTITION__', '../../etc/passwd', '/abs/path', 's3://bucket/x', '%2e%2e/x', 'a\\b', '\u0000', {}, [], [[[]]], { a: { b: { c: {} } } }),
  fc.jsonValue({ maxDepth: 4 }),
  fc.string({ maxLength: 40 }),
  fc.integer(),
  fc.double({ noNaN: true }),
)

/** A JSON path inside one action line to overwrite. */
function setPath(obj: unknown, path: string[], value: unknown): unknown {
  if (path.length === 0) return value
  const o = (typeof obj === 'object' && obj !== null ? obj : {}) as Record<string, unknown>
  o[path[0]] = setPath(o[path[0]], path.slice(1), value)
  return o
}

const FIELD_PATHS: string[][] = [
  ['add'], ['add', 'path'], ['add', 'size'], ['add', 'partitionValues'], ['add', 'partitionValues', 'p'], ['add', 'stats'],
  ['add', 'modificationTime'], ['add', 'dataChange'], ['add', 'deletionVector'], ['add', 'deletionVector', 'offset'],
  ['add', 'deletionVector', 'sizeInBytes'], ['add', 'deletionVector', 'cardinality'], ['add', 'deletionVector', 'storageType'],
  ['add', 'deletionVector', 'pathOrInlineDv'], ['add', 'deletionVector', 'maxRowIndex'], ['add', 'tags'], ['add', 'baseRowId'],
  ['remove', 'path'], ['remove', 'deletionTimestamp'], ['remove', 'deletionVector', 'sizeInBytes'], ['cdc', 'path'], ['cdc', 'size'],
  ['metaData', 'schemaString'], ['metaData', 'partitionColumns'], ['metaData', 'configuration'], ['metaData', 'id'], ['metaData', 'format'],
  ['metaData', 'configuration', 'delta.checkpointInterval'], ['metaData', 'configuration', 'delta.columnMapping.mode'],
  ['protocol', 'minReaderVersion'], ['protocol', 'minWriterVersion'], ['protocol', 'readerFeatures'], ['protocol', 'writerFeatures'],
  ['commitInfo'], ['commitInfo', 'timestamp'], ['commitInfo', 'inCommitTimestamp'], ['txn'], ['txn', 'version'], ['domainMetadata'],
  ['checkpointMetadata'], ['sidecar'], ['sidecar', 'path'], ['unknownAction'],
]

function deepSchema(depth: number): string {
  let t = '"string"'
  for (let i = 0; i < depth; i++) t = `{"type":"struct","fields":[{"name":"f${i}","type":${t},"nullable":true,"metadata":{}}]}`
  return t
}

describe('log reader fuzz', () => {
  it('the pristine table reads', async () => {
    const t = await DeltaTable.open(storeFrom(base))
    expect(t.version).toBe(4)
    expect(await t.toRows()).toHaveLength(200)
    expect(keys(/deletion_vector_.*\.bin$/).length).toBeGreaterThan(0)
  })

  it('truncated files of every kind', async () => {
    const all = [...base.keys()].sort()
    await fc.assert(fc.asyncProperty(fc.constantFrom(...all), fc.double({ min: 0, max: 0.999, noNaN: true }), async (key, frac) => {
      const bytes = base.get(key)!
      await exercise(withFile(key, bytes.slice(0, Math.floor(bytes.length * frac))), `${key} truncated to ${frac}`)
    }), { numRuns: RUNS, seed: SEED })
  }, LIMIT)

  it('malformed, foreign and unknown lines in commits', async () => {
    const commits = keys(/\d{20}\.json$/)
    const line = fc.oneof(fc.string({ maxLength: 60 }), fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      fc.constantFrom('{', '{"add":', '{"add":{}}', '{"remove":{}}', '[]', 'null', '{"protocol":{"minReaderVersion":1}}', '{"add":{"path":"x"}}',
        '{"unknownAction":{"x":1}}', '{"add":null,"remove":{"path":"a","dataChange":true}}'))
    await fc.assert(fc.asyncProperty(fc.constantFrom(...commits), fc.nat(), line, fc.boolean(), async (key, at, text, replace) => {
      const files = replace ? editLine(key, at, () => text) : editLine(key, at, (l) => `${l}\n${text}`)
      await exercise(files, `${key} line ${at} ${replace ? 'replaced by' : 'followed by'} ${text}`)
    }), { numRuns: RUNS, seed: SEED })
  }, LIMIT)

  it('wrong field types, huge numbers, bogus partition values and DV descriptors', async () => {
    const commits = keys(/\d{20}\.json$/)
    // Lines by action type, so that every edit hits an action of the type its path names.
    const byType = new Map<string, [string, number][]>()
    for (const k of commits) {
      dec.decode(base.get(k)).split('\n').forEach((l, i) => {
        const type = /^\{"(\w+)"/.exec(l)?.[1]
        if (type) byType.set(type, [...(byType.get(type) ?? []), [k, i]])
      })
    }
    await fc.assert(fc.asyncProperty(fc.constantFrom(...FIELD_PATHS), fc.nat(), hostile, fc.boolean(), async (field, pick, value, noCheckpoint) => {
      const targets = byType.get(field[0])
      let files: Map<string, Uint8Array>
      if (targets) {
        const [key, line] = targets[pick % targets.length]
        files = editLine(key, line, (l) => JSON.stringify(setPath(JSON.parse(l), field, value)))
      } else {
        // An action type the table lacks (or an unknown one): add it to a commit.
        const key = commits[pick % commits.length]
        files = editLine(key, 0, (l) => `${l}\n${JSON.stringify(setPath({}, field, value))}`)
      }
      await exercise(noCheckpoint ? withoutCheckpoint(files) : files, `${field.join('.')} = ${JSON.stringify(value)}${noCheckpoint ? ' (no checkpoint)' : ''}`)
    }), { numRuns: RUNS * 4, seed: SEED })
  }, LIMIT)

  it('flipped bytes in data, deletion vector and change data files', async () => {
    const targets = keys(/\.(parquet|bin)$/).filter((k) => !k.startsWith('_delta_log/'))
    await fc.assert(fc.asyncProperty(fc.constantFrom(...targets), fc.nat(), fc.integer({ min: 1, max: 255 }), async (key, at, mask) => {
      const b = base.get(key)!.slice()
      b[at % b.length] ^= mask
      await exercise(withFile(key, b), `${key} byte ${at % b.length} ^ ${mask}`)
    }), { numRuns: RUNS, seed: SEED })
  }, LIMIT)

  it('checkpoints with the wrong schema or random bytes, and _last_checkpoint pointing anywhere', async () => {
    const cp = keys(/checkpoint\.parquet$/)[0]
    const data = keys(/^p=.*\.parquet$/)[0]
    await fc.assert(fc.asyncProperty(
      fc.oneof(
        fc.constant(base.get(data)!), // a data file where the checkpoint should be: a valid Parquet file of another schema
        fc.uint8Array({ maxLength: 200 }),
        fc.constant(enc.encode('PAR1')),
        fc.nat({ max: base.get(cp)!.length - 1 }).map((n) => { const b = base.get(cp)!.slice(); b[n] ^= 0xff; return b }),
      ),
      fc.oneof(fc.constant(undefined), fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
        fc.integer({ min: -5, max: 1_000_000 }).map((v) => JSON.stringify({ version: v, size: 3 })),
        fc.constantFrom('{"version":1e300}', '{"version":"3"}', '{"version":3,"parts":99}', '{"version":3.5}', '')),
      async (cpBytes, last) => {
        const files = withFile(cp, cpBytes)
        if (last !== undefined) files.set('_delta_log/_last_checkpoint', enc.encode(last))
        await exercise(files, `checkpoint replaced (${cpBytes.length} bytes), _last_checkpoint ${last}`)
      }), { numRuns: RUNS, seed: SEED })
  }, LIMIT)

  it('a checkpoint whose commits are gone must be readable or fail typed', async () => {
    // Without the JSON commits before it, a damaged checkpoint cannot be worked around.
    const cp = keys(/checkpoint\.parquet$/)[0]
    await fc.assert(fc.asyncProperty(fc.double({ min: 0, max: 0.999, noNaN: true }), async (frac) => {
      const files = new Map(base)
      for (const k of keys(/0000000000000000000[0-2]\.json$/)) files.delete(k)
      const b = base.get(cp)!
      files.set(cp, b.slice(0, Math.floor(b.length * frac)))
      await exercise(files, `checkpoint truncated to ${frac}, older commits gone`)
    }), { numRuns: Math.ceil(RUNS / 3), seed: SEED })
  }, LIMIT)

  it('deeply nested schemas are refused or read, never overflow the stack', async () => {
    for (const depth of [50, 1_000, 20_000]) {
      const files = editLine(keys(/0{20}\.json$/)[0], 2, (l) => {
        const o = JSON.parse(l)
        o.metaData.schemaString = `{"type":"struct","fields":[{"name":"id","type":"long","nullable":false,"metadata":{}},{"name":"deep","type":${deepSchema(depth)},"nullable":true,"metadata":{}}]}`
        return JSON.stringify(o)
      })
      await exercise(files, `schema nested ${depth} deep`)
    }
  }, LIMIT)

  it('absurd sizes never make the reader allocate them', async () => {
    const dvLine = (key: string) => dec.decode(base.get(key)).split('\n').findIndex((l) => l.includes('"storageType":"u"') && l.startsWith('{"add"'))
    const dvCommit = keys(/\d{20}\.json$/).find((k) => dvLine(k) >= 0)!
    const before = process.memoryUsage().rss
    for (const [field, value] of [
      [['add', 'deletionVector', 'sizeInBytes'], 2 ** 31 - 1], [['add', 'deletionVector', 'sizeInBytes'], 2 ** 40],
      [['add', 'deletionVector', 'cardinality'], 2 ** 31 - 1], [['add', 'deletionVector', 'cardinality'], 1e15],
      [['add', 'deletionVector', 'offset'], 2 ** 40], [['add', 'size'], 2 ** 50], [['add', 'size'], 1e300],
    ] as [string[], number][]) {
      const files = withoutCheckpoint(editLine(dvCommit, dvLine(dvCommit), (l) => JSON.stringify(setPath(JSON.parse(l), field, value))))
      // In memory and on disk (a local read allocates the range it is asked for).
      await exercise(files, `${field.join('.')} = ${value}`)
      await exercise(files, `${field.join('.')} = ${value} (local)`, true)
    }
    // Nothing close to the stated sizes was allocated.
    expect(process.memoryUsage().rss - before).toBeLessThan(512 * 1024 * 1024)
  }, LIMIT)
})
