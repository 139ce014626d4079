// Writing classic V1 Parquet checkpoints (PROTOCOL.md "Checkpoints", "Checkpoint Schema") with the
// column layout Spark 3.5 / Delta 3 writes, then `_delta_log/_last_checkpoint`. Runs after a commit
// landed; callers treat a failure here as a warning, never as a failed commit.
import type { ParquetWriter } from 'hyparquet-writer'
import type { AddFile, DomainMetadata, Metadata, Protocol, RemoveFile } from './actions.js'
import { CorruptLogError } from '../errors.js'
import { LAST_CHECKPOINT, LOG_DIR, padVersion } from './log-path.js'
import type { ObjectStore } from '../storage/object-store.js'
import type { Segment } from './checkpoint-encoder.js'

type SchemaElement = ConstructorParameters<typeof ParquetWriter>[0]['schema'][number]

/** The table state a checkpoint holds (a `Snapshot` fits). */
export interface CheckpointSource {
  store: ObjectStore
  version: number
  protocol: Protocol
  metadata: Metadata
  txns: Map<string, number>
  domainMetadata: Map<string, DomainMetadata>
  activeFiles(): AddFile[]
  tombstones(): RemoveFile[]
}

export interface LastCheckpoint {
  version: number
  size: number
  sizeInBytes: number
  numOfAddFiles: number
}

export const DEFAULT_CHECKPOINT_INTERVAL = 10
const DEFAULT_TOMBSTONE_RETENTION_MS = 7 * 24 * 3600 * 1000

/** `delta.checkpointInterval` (default 10): checkpoint after commits whose version is a multiple. */
export function checkpointInterval(configuration: Record<string, string>): number {
  const n = Number.parseInt(configuration['delta.checkpointInterval'] ?? '', 10)
  return Number.isFinite(n) && n > 0 ? n : DEFAULT_CHECKPOINT_INTERVAL
}

/**
 * Whether the commit of `version` should write a checkpoint, given the newest checkpoint known to
 * exist (-1: none): when the last multiple of the interval at or below `version` has none yet. A
 * multiple of the interval checkpoints as Delta does; a checkpoint that was due and failed (or a long
 * log without any) is written by the next commit instead of a whole interval later.
 */
export function checkpointDue(version: number, lastCheckpoint: number, configuration: Record<string, string>): boolean {
  const interval = checkpointInterval(configuration)
  const due = Math.floor(version / interval) * interval
  return due > 0 && due > lastCheckpoint
}

const UNIT_MS: Record<string, number> = {
  millisecond: 1, second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000, week: 604_800_000,
}

/** Spark's calendar-interval text (`interval 1 week`, `7 days`, `168 hours`) in ms; undefined if unparsable. */
export function parseIntervalMs(text: string | undefined): number | undefined {
  if (!text) return undefined
  const parts = text.trim().toLowerCase().replace(/^interval\s+/, '').split(/\s+/)
  if (parts.length % 2 !== 0) return undefined
  let total = 0
  for (let i = 0; i < parts.length; i += 2) {
    const n = Number(parts[i])
    const unit = UNIT_MS[parts[i + 1].replace(/s$/, '')]
    if (!Number.isFinite(n) || unit === undefined) return undefined
    total += n * unit
  }
  return total
}

// ───────────────────────────── schema (as Spark writes it) ─────────────────────────────

const str = (name: string): SchemaElement => ({ name, type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' }, repetition_type: 'OPTIONAL' })
const i64 = (name: string): SchemaElement => ({ name, type: 'INT64', repetition_type: 'OPTIONAL' })
const i32 = (name: string): SchemaElement => ({ name, type: 'INT32', repetition_type: 'OPTIONAL' })
const bool = (name: string): SchemaElement => ({ name, type: 'BOOLEAN', repetition_type: 'OPTIONAL' })
const group = (name: string, children: SchemaElement[][]): SchemaElement[] => [{ name, repetition_type: 'OPTIONAL', num_children: children.length }, ...children.flat()]
const stringMap = (name: string): SchemaElement[] => [
  { name, repetition_type: 'OPTIONAL', num_children: 1, converted_type: 'MAP', logical_type: { type: 'MAP' } },
  { name: 'key_value', repetition_type: 'REPEATED', num_children: 2 },
  { ...str('key'), repetition_type: 'REQUIRED' },
  str('value'),
]
const stringList = (name: string): SchemaElement[] => [
  { name, repetition_type: 'OPTIONAL', num_children: 1, converted_type: 'LIST', logical_type: { type: 'LIST' } },
  { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
  str('element'),
]
const dv = (): SchemaElement[] => group('deletionVector', [
  [str('storageType')], [str('pathOrInlineDv')], [i32('offset')], [i32('sizeInBytes')], [i64('cardinality')], [i64('maxRowIndex')],
])

/** The checkpoint's Parquet schema: Spark's column order (txn, add, remove, metaData, protocol, domainMetadata). */
export function checkpointSchema(v2 = false): SchemaElement[] {
  const columns = [
    group('txn', [[str('appId')], [i64('version')], [i64('lastUpdated')]]),
    group('add', [
      [str('path')], stringMap('partitionValues'), [i64('size')], [i64('modificationTime')], [bool('dataChange')],
      stringMap('tags'), dv(), [i64('baseRowId')], [i64('defaultRowCommitVersion')], [str('stats')], [str('clusteringProvider')],
    ]),
    // Tombstones keep no stats or tags (PROTOCOL.md "Checkpoints").
    group('remove', [
      [str('path')], [i64('deletionTimestamp')], [bool('dataChange')], [bool('extendedFileMetadata')], stringMap('partitionValues'),
      [i64('size')], dv(), [i64('baseRowId')], [i64('defaultRowCommitVersion')],
    ]),
    group('metaData', [
      [str('id')], [str('name')], [str('description')], group('format', [[str('provider')], stringMap('options')]),
      [str('schemaString')], stringList('partitionColumns'), stringMap('configuration'), [i64('createdTime')],
    ]),
    group('protocol', [[i32('minReaderVersion')], [i32('minWriterVersion')], stringList('readerFeatures'), stringList('writerFeatures')]),
    group('domainMetadata', [[str('domain')], [str('configuration')], [bool('removed')]]),
  ]
  if (v2) columns.push(group('checkpointMetadata', [[i64('version')], stringMap('tags')]))
  return [{ name: 'spark_schema', num_children: columns.length }, ...columns.flat()]
}

// ───────────────────────────── rows ─────────────────────────────

const big = (n: number | null | undefined): bigint | null => (n === null || n === undefined ? null : BigInt(n))

function metadataRow(m: Metadata): Record<string, unknown> {
  return {
    id: m.id, name: m.name ?? null, description: m.description ?? null,
    format: { provider: m.format.provider, options: m.format.options ?? {} },
    schemaString: m.schemaString, partitionColumns: m.partitionColumns, configuration: m.configuration, createdTime: big(m.createdTime),
  }
}

function protocolRow(p: Protocol): Record<string, unknown> {
  // Feature lists are present exactly when the versions use them (PROTOCOL.md "Checkpoint Schema").
  return {
    minReaderVersion: p.minReaderVersion, minWriterVersion: p.minWriterVersion,
    readerFeatures: p.minReaderVersion >= 3 ? (p.readerFeatures ?? []) : null,
    writerFeatures: p.minWriterVersion >= 7 ? (p.writerFeatures ?? []) : null,
  }
}

function isV2(p: Protocol): boolean {
  return p.minReaderVersion >= 3 && (p.readerFeatures ?? []).includes('v2Checkpoint')
}

/** Tombstones newer than `delta.deletedFileRetentionDuration` (default one week) stay for VACUUM. */
export function retainedTombstones(removes: RemoveFile[], configuration: Record<string, string>, now: number): RemoveFile[] {
  const retention = parseIntervalMs(configuration['delta.deletedFileRetentionDuration']) ?? DEFAULT_TOMBSTONE_RETENTION_MS
  const cutoff = now - retention
  return removes.filter((r) => (r.deletionTimestamp ?? 0) > cutoff)
}

/**
 * Checkpoint rows as segments: one action per row, the other top-level columns null. Add and remove
 * actions go to the encoder as they are (their fields are the schema's, absent means null).
 */
export function checkpointSegments(src: CheckpointSource, now = Date.now()): { segments: Segment[]; numRows: number; numAdds: number } {
  const v2 = isV2(src.protocol)
  const segments: Segment[] = []
  // With the v2Checkpoint feature the classic checkpoint follows the V2 spec: one checkpointMetadata
  // row and every action inline, no sidecars (PROTOCOL.md "V2 Spec", "Classic checkpoint").
  if (v2) segments.push({ column: 'checkpointMetadata', values: [{ version: BigInt(src.version), tags: null }] })
  segments.push({ column: 'protocol', values: [protocolRow(src.protocol)] })
  segments.push({ column: 'metaData', values: [metadataRow(src.metadata)] })
  segments.push({ column: 'txn', values: [...src.txns].map(([appId, version]) => ({ appId, version: BigInt(version), lastUpdated: null })) })
  // Removed domains are tombstones a checkpoint drops (PROTOCOL.md "Checkpoints").
  const domains = [...src.domainMetadata.values()].filter((d) => !d.removed)
  segments.push({ column: 'domainMetadata', values: domains.map((d) => ({ domain: d.domain, configuration: d.configuration, removed: false })) })
  const adds = src.activeFiles()
  // delta.checkpoint.writeStatsAsJson = false asks for no JSON stats in checkpoints (PROTOCOL.md
  // "Checkpoints"); stats_parsed (writeStatsAsStruct) is not written: readers fall back to none.
  const statsAsJson = src.metadata.configuration['delta.checkpoint.writeStatsAsJson'] !== 'false'
  segments.push({ column: 'add', values: statsAsJson ? adds : adds.map((a) => ({ ...a, stats: null })) })
  segments.push({ column: 'remove', values: retainedTombstones(src.tombstones(), src.metadata.configuration, now) })
  let numRows = 0
  for (const s of segments) numRows += s.values.length
  return { segments: segments.filter((s) => s.values.length > 0), numRows, numAdds: adds.length }
}

/** The encoder's modules, imported once (a repeated dynamic import() still costs a resolution). */
let encoderModules: Promise<[typeof import('hyparquet-writer'), typeof import('./checkpoint-encoder.js')]> | undefined

/** Parquet bytes of the checkpoint of `src`. The encoder (and hyparquet-writer) load on the first write, not at import (issue 15). */
export async function checkpointBytes(src: CheckpointSource, now = Date.now()): Promise<{ bytes: Uint8Array; size: number; numAdds: number }> {
  const [{ ByteWriter, ParquetWriter }, { writeCheckpointRowGroup }] = await (encoderModules ??= Promise.all([import('hyparquet-writer'), import('./checkpoint-encoder.js')])
    .catch((e: unknown) => { encoderModules = undefined; throw e }))
  const { segments, numRows, numAdds } = checkpointSegments(src, now)
  const schema = checkpointSchema(isV2(src.protocol))
  const writer = new ByteWriter(1 << 16)
  const pq = new ParquetWriter({ writer, schema, createdBy: 'lagomago' })
  let group: ReturnType<typeof writeCheckpointRowGroup>
  try {
    group = writeCheckpointRowGroup(writer, schema, segments, 'SNAPPY')
  } catch (e) {
    // A value the checkpoint schema cannot hold came from the log itself (another writer's commit).
    const table = src.store.url
    throw new CorruptLogError(`cannot write the checkpoint of version ${src.version} of table ${table}: ${(e as Error).message}`, { table, version: src.version, cause: e })
  }
  pq.row_groups.push(group)
  pq.num_rows = group.num_rows
  pq.finish()
  return { bytes: writer.getBytes(), size: numRows, numAdds }
}

/**
 * Write `<version>.checkpoint.parquet` and then `_last_checkpoint`. A classic checkpoint may be
 * rewritten by a racing writer with the same content (PROTOCOL.md "Classic checkpoint").
 */
export async function writeCheckpoint(src: CheckpointSource, now = Date.now()): Promise<LastCheckpoint> {
  const { bytes, size, numAdds } = await checkpointBytes(src, now)
  await src.store.put(`${LOG_DIR}${padVersion(src.version)}.checkpoint.parquet`, bytes)
  const last: LastCheckpoint = { version: src.version, size, sizeInBytes: bytes.byteLength, numOfAddFiles: numAdds }
  // Never move the pointer backwards past a newer checkpoint another writer recorded.
  const previous = await readLastCheckpointVersion(src.store)
  if (previous === undefined || previous <= src.version) {
    await src.store.put(LAST_CHECKPOINT, new TextEncoder().encode(JSON.stringify(last)))
  }
  return last
}

async function readLastCheckpointVersion(store: ObjectStore): Promise<number | undefined> {
  if (!(await store.head(LAST_CHECKPOINT))) return undefined
  try {
    const v = JSON.parse(new TextDecoder().decode(await store.get(LAST_CHECKPOINT))).version
    return typeof v === 'number' ? v : undefined
  } catch {
    return undefined // a damaged pointer is replaced
  }
}

