// Test fixtures: build Delta tables action by action in a MemoryStore, with classic Parquet
// checkpoints written through hyparquet-writer using the Delta checkpoint schema (a test-only writer;
// the product's checkpoint writer belongs to the write path).

import { ByteWriter, parquetWrite } from 'hyparquet-writer'

type SchemaElement = NonNullable<Parameters<typeof parquetWrite>[0]['schema']>[number]
import type { Action, AddFile, RemoveFile } from '../../src/log/actions.js'
import { commitKey, padVersion } from '../../src/log/log-path.js'
import { loadSnapshot } from '../../src/log/snapshot.js'
import { MemoryStore } from '../../src/storage/memory-store.js'
import type { ObjectStore } from '../../src/storage/object-store.js'

export const SCHEMA_STRING = JSON.stringify({
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: true, metadata: {} },
    { name: 'part', type: 'string', nullable: true, metadata: {} },
  ],
})

export function protocolAction(minReaderVersion = 1, minWriterVersion = 2): Action {
  return { protocol: { minReaderVersion, minWriterVersion } }
}

export function metadataAction(configuration: Record<string, string> = {}, partitionColumns: string[] = []): Action {
  return {
    metaData: {
      id: 'test-table-id', format: { provider: 'parquet', options: {} }, schemaString: SCHEMA_STRING,
      partitionColumns, configuration, createdTime: 1_700_000_000_000,
    },
  }
}

export function add(path: string, extra: Partial<AddFile> = {}): Action {
  return { add: { path, partitionValues: {}, size: 100, modificationTime: 1_700_000_000_000, dataChange: true, stats: '{"numRecords":10}', ...extra } }
}

export function remove(path: string, extra: Partial<RemoveFile> = {}): Action {
  return { remove: { path, deletionTimestamp: 1_700_000_000_000, dataChange: true, ...extra } }
}

export function commitInfo(timestamp: number, extra: Record<string, unknown> = {}): Action {
  return { commitInfo: { timestamp, operation: 'WRITE', ...extra } }
}

export function encodeActions(actions: Action[]): Uint8Array {
  return new TextEncoder().encode(actions.map((a) => JSON.stringify(a)).join('\n') + '\n')
}

/** Write a commit file directly (no conflict checks); mtime optionally pinned. */
export async function writeCommit(store: MemoryStore, version: number, actions: Action[], mtime?: number): Promise<void> {
  await store.put(commitKey(version), encodeActions(actions))
  if (mtime !== undefined) store.setMtime(commitKey(version), mtime)
}

const str = (name: string, repetition_type: 'OPTIONAL' | 'REQUIRED' = 'OPTIONAL'): SchemaElement =>
  ({ name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type })
const i64 = (name: string): SchemaElement => ({ name, type: 'INT64', repetition_type: 'OPTIONAL' })
const i32 = (name: string): SchemaElement => ({ name, type: 'INT32', repetition_type: 'OPTIONAL' })
const bool = (name: string): SchemaElement => ({ name, type: 'BOOLEAN', repetition_type: 'OPTIONAL' })
const group = (name: string, n: number): SchemaElement => ({ name, repetition_type: 'OPTIONAL', num_children: n })
const strMap = (name: string): SchemaElement[] => [
  { name, repetition_type: 'OPTIONAL', converted_type: 'MAP', num_children: 1 },
  { name: 'key_value', repetition_type: 'REPEATED', num_children: 2 },
  str('key', 'REQUIRED'),
  str('value'),
]
const strList = (name: string): SchemaElement[] => [
  { name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
  { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
  str('element'),
]

const DV: SchemaElement[] = [
  group('deletionVector', 6), str('storageType'), str('pathOrInlineDv'), i32('offset'), i32('sizeInBytes'), i64('cardinality'), i64('maxRowIndex'),
]

const CHECKPOINT_SCHEMA: SchemaElement[] = [
  { name: 'spark_schema', num_children: 5 },
  group('txn', 3), str('appId'), i64('version'), i64('lastUpdated'),
  group('add', 7), str('path'), ...strMap('partitionValues'), i64('size'), i64('modificationTime'), bool('dataChange'), str('stats'), ...DV,
  group('remove', 5), str('path'), i64('deletionTimestamp'), bool('dataChange'), i64('size'), ...DV,
  group('metaData', 7), str('id'), group('format', 2), str('provider'), ...strMap('options'), str('schemaString'),
  ...strList('partitionColumns'), ...strMap('configuration'), i64('createdTime'), str('name'),
  group('protocol', 2), i32('minReaderVersion'), i32('minWriterVersion'),
]

const big = (n: number | null | undefined) => (n === null || n === undefined ? null : BigInt(n))
const dv = (d: AddFile['deletionVector']) => d ? {
  storageType: d.storageType, pathOrInlineDv: d.pathOrInlineDv, offset: d.offset ?? null, sizeInBytes: d.sizeInBytes,
  cardinality: BigInt(d.cardinality), maxRowIndex: big(d.maxRowIndex),
} : null

/** A classic single-file checkpoint of the table's state at `version` (from a JSON-only replay). */
export async function writeCheckpoint(store: MemoryStore, version: number, opts: { lastCheckpoint?: boolean } = {}): Promise<void> {
  const snap = await loadSnapshot(store, { version, jsonOnly: true })
  const rows: Record<string, unknown>[] = []
  const row = (o: Record<string, unknown>) => rows.push({ txn: null, add: null, remove: null, metaData: null, protocol: null, ...o })
  row({ protocol: { minReaderVersion: snap.protocol.minReaderVersion, minWriterVersion: snap.protocol.minWriterVersion } })
  const m = snap.metadata
  row({ metaData: { id: m.id, format: m.format, schemaString: m.schemaString, partitionColumns: m.partitionColumns, configuration: m.configuration, createdTime: big(m.createdTime), name: m.name ?? null } })
  for (const [appId, v] of snap.txns) row({ txn: { appId, version: BigInt(v), lastUpdated: null } })
  for (const f of snap.activeFiles()) {
    row({ add: { path: f.path, partitionValues: f.partitionValues, size: BigInt(f.size), modificationTime: BigInt(f.modificationTime), dataChange: false, stats: f.stats ?? null, deletionVector: dv(f.deletionVector) } })
  }
  for (const r of snap.tombstones()) {
    row({ remove: { path: r.path, deletionTimestamp: big(r.deletionTimestamp), dataChange: false, size: big(r.size), deletionVector: dv(r.deletionVector) } })
  }
  const writer = new ByteWriter()
  const names = ['txn', 'add', 'remove', 'metaData', 'protocol']
  parquetWrite({ writer, schema: CHECKPOINT_SCHEMA, columnData: names.map((name) => ({ name, data: rows.map((r) => r[name]) })), statistics: false })
  const bytes = new Uint8Array(writer.getBuffer())
  await store.put(`_delta_log/${padVersion(version)}.checkpoint.parquet`, bytes)
  if (opts.lastCheckpoint !== false) {
    await store.put('_delta_log/_last_checkpoint', new TextEncoder().encode(JSON.stringify({ version, size: rows.length })))
  }
}

/** A table of `commits` commits, one add each (and a remove every 3rd), checkpoint every `interval`. */
export async function buildTable(commits: number, interval = 10, store = new MemoryStore()): Promise<ObjectStore & MemoryStore> {
  await writeCommit(store, 0, [commitInfo(1_700_000_000_000), protocolAction(), metadataAction(), add('f-0.parquet')])
  for (let v = 1; v < commits; v++) {
    const actions: Action[] = [commitInfo(1_700_000_000_000 + v * 1000), add(`f-${v}.parquet`)]
    if (v % 3 === 0) actions.push(remove(`f-${v - 2}.parquet`))
    await writeCommit(store, v, actions)
    if (interval > 0 && v % interval === 0) await writeCheckpoint(store, v)
  }
  return store
}

/** Wraps a store: records what `list` returned and can make chosen keys unreadable. */
export class SpyStore implements ObjectStore {
  readonly listed: string[] = []
  readonly listCalls: { prefix: string; startAfter?: string }[] = []
  readonly broken = new Set<string>()
  constructor(readonly inner: ObjectStore) {}
  get url(): string { return this.inner.url }
  async get(key: string): Promise<Uint8Array> {
    if (this.broken.has(key)) return new TextEncoder().encode('this is not what you expect')
    return this.inner.get(key)
  }
  async getRange(key: string, start: number, end: number): Promise<Uint8Array> {
    return (await this.get(key)).slice(start, end)
  }
  putIfAbsent(key: string, data: Uint8Array): Promise<boolean> { return this.inner.putIfAbsent(key, data) }
  put(key: string, data: Uint8Array): Promise<void> { return this.inner.put(key, data) }
  async *list(prefix: string, options?: { startAfter?: string; recursive?: boolean }): AsyncIterable<import('../../src/storage/object-store.js').ObjectMeta> {
    this.listCalls.push({ prefix, startAfter: options?.startAfter })
    for await (const m of this.inner.list(prefix, options)) {
      this.listed.push(m.key)
      yield m
    }
  }
  head(key: string) { return this.inner.head(key) }
  delete(key: string): Promise<void> { return this.inner.delete(key) }
}

/** Deep canonical JSON; absent and null fields are the same thing to a reader, int64s compared as numbers. */
export function canon(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v)
  if (v === null || typeof v !== 'object') return v
  if (Array.isArray(v)) return v.map(canon)
  const out: Record<string, unknown> = {}
  for (const k of Object.keys(v).sort()) {
    const x = (v as Record<string, unknown>)[k]
    if (x !== null && x !== undefined) out[k] = canon(x)
  }
  return out
}
