// Reading checkpoints (PROTOCOL.md "Checkpoints"): classic and multi-part Parquet, V2 JSON or Parquet
// top-level files with their `_delta_log/_sidecars/` files. Struct-only stats (`stats_parsed`) are
// turned back into the JSON `stats` string the rest of lagomago reads.
import { parquetMetadataAsync, parquetReadObjects, parquetSchema, type FileMetaData } from 'hyparquet'
import { decompressorsFor } from '../scan/decompressors.js'
import { CorruptLogError, DeltaError, UnsafePathError } from '../errors.js'
import { asyncBufferFor, asyncBufferFromBytes } from '../storage/async-buffer.js'
import type { ObjectStore } from '../storage/object-store.js'
import { resolveLogPath } from '../storage/paths.js'
import {
  parseAction, parseActionLines, parseAdd,
  type Action, type ActionContext, type AddFile, type DomainMetadata, type Metadata, type Protocol, type RemoveFile, type Sidecar, type Txn,
} from './actions.js'
import { readCheckpointRows, UnsupportedShapeError } from './checkpoint-columns.js'
import type { CheckpointRef } from './log-segment.js'
import { SIDECAR_DIR } from './log-path.js'
import { statsParsedToJson, partitionValuesFromParsed, PARQUET_PARSERS } from './stats-parsed.js'

/** The reconciled state a checkpoint holds. */
export interface CheckpointData {
  version: number
  protocol?: Protocol
  metadata?: Metadata
  txns: Txn[]
  domainMetadata: DomainMetadata[]
  adds: AddFile[]
  removes: RemoveFile[]
  /** Store keys read, for messages. */
  files: string[]
}

/** The action columns a reader needs; `cdc`/`commitInfo` never belong in a checkpoint. */
const COLUMNS = ['protocol', 'metaData', 'txn', 'domainMetadata', 'add', 'remove', 'checkpointMetadata', 'sidecar']

const WHOLE_READ_LIMIT = 64 * 1024 * 1024

/** Read every file of a checkpoint (and its sidecars). Errors name the checkpoint file. */
export async function readCheckpoint(store: ObjectStore, cp: CheckpointRef, table: string): Promise<CheckpointData> {
  const data: CheckpointData = { version: cp.version, txns: [], domainMetadata: [], adds: [], removes: [], files: [] }
  const sidecars: Sidecar[] = []
  const parts = await Promise.all(cp.files.map((f) => readActionsFile(store, f.key, f.size, table, cp.version)))
  for (const part of parts) collect(part, data, sidecars)
  for (const f of cp.files) data.files.push(f.key)
  if (sidecars.length) {
    const keys = sidecars.map((s) => sidecarKey(store, s, table, cp.version))
    const read = await Promise.all(keys.map((k, i) => readActionsFile(store, k, sidecars[i].sizeInBytes || undefined, table, cp.version)))
    // Sidecars hold only file actions; anything else in them is ignored.
    for (const part of read) collect(part, data, [], true)
    data.files.push(...keys)
  }
  return data
}

function collect({ actions, adds }: ActionsRead, data: CheckpointData, sidecars: Sidecar[], filesOnly = false): void {
  // A Parquet file's adds come apart from its other actions; each is in file order, adds after the rest.
  if (adds.length) data.adds = data.adds.length ? data.adds.concat(adds) : adds
  for (const a of actions) {
    if ('add' in a) data.adds.push(a.add)
    else if ('remove' in a) data.removes.push(a.remove)
    else if (filesOnly) continue
    else if ('sidecar' in a) sidecars.push(a.sidecar)
    else if ('txn' in a) data.txns.push(a.txn)
    else if ('domainMetadata' in a) data.domainMetadata.push(a.domainMetadata)
    else if ('metaData' in a) data.metadata = a.metaData
    else if ('protocol' in a) data.protocol = a.protocol
  }
}

function sidecarKey(store: ObjectStore, s: Sidecar, table: string, version: number): string {
  // A sidecar path is a file name relative to `_delta_log/_sidecars/`, or an absolute URI.
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(s.path) || s.path.startsWith('/')) {
    const r = resolveLogPath(store.url, s.path, { table })
    if (!r.key) throw new UnsafePathError(`sidecar ${s.path} lies outside table ${table}`, { table, version, file: s.path })
    return r.key
  }
  let name: string
  try { name = decodeURIComponent(s.path) } catch { name = s.path }
  // Backslashes are separators on Windows (`..\x` escapes there), NUL truncates paths in some APIs.
  if (name.split('/').includes('..') || /[\\\0]/.test(name) || name.startsWith('/')) {
    throw new UnsafePathError(`sidecar path ${s.path} escapes _delta_log/_sidecars/`, { table, version, file: s.path })
  }
  return SIDECAR_DIR + name
}

/**
 * The actions of one file. A Parquet file's adds are in `adds`, unwrapped (a `{ add }` object per
 * file of a million-file checkpoint is garbage the reader need not make), the rest in `actions`.
 */
export interface ActionsRead {
  actions: Action[]
  adds: AddFile[]
}

/** Read the actions of one checkpoint part, V2 top-level file or sidecar (JSON or Parquet by extension). */
export async function readActionsFile(store: ObjectStore, key: string, size: number | undefined, table: string, version: number): Promise<ActionsRead> {
  const ctx: ActionContext = { table, file: key, version }
  try {
    if (key.endsWith('.json')) {
      const text = new TextDecoder().decode(await store.get(key))
      return { actions: parseActionLines(text, ctx), adds: [] }
    }
    return await readParquetActions(store, key, size, ctx)
  } catch (e) {
    if (e instanceof CorruptLogError) throw e
    if (e instanceof DeltaError) throw e
    throw new CorruptLogError(`cannot read checkpoint file ${key} of table ${table}: ${(e as Error).message}`, { table, version, file: key, cause: e })
  }
}

async function readParquetActions(store: ObjectStore, key: string, size: number | undefined, ctx: ActionContext): Promise<ActionsRead> {
  // Checkpoints are read nearly whole (the add column dominates), so one GET beats a ranged read per
  // column chunk; only very large parts are read by ranges.
  const file = size !== undefined && size <= WHOLE_READ_LIMIT ? asyncBufferFromBytes(await store.get(key)) : await asyncBufferFor(store, key, size)
  const metadata = await parquetMetadataAsync(file)
  const present = new Set(metadata.schema.slice(1).map((s) => s.name))
  const { prune, absent } = prunable(metadata)
  const columns = COLUMNS.filter((c) => present.has(c) && !absent.has(c))
  if (columns.length === 0) return { actions: [], adds: [] }
  const compressors = await decompressorsFor(metadata)
  let cols: Record<string, unknown[]>
  try {
    cols = await readCheckpointRows(file, metadata, columns, { compressors, parsers: PARQUET_PARSERS, prune })
  } catch (e) {
    if (!(e instanceof UnsupportedShapeError)) throw e
    const rows = await parquetReadObjects({ file, metadata, columns, compressors, parsers: PARQUET_PARSERS })
    cols = Object.fromEntries(columns.map((c) => [c, rows.map((r) => r[c])]))
  }
  const out: Action[] = []
  const adds: AddFile[] = []
  // Small columns first: protocol and metaData before the file actions, as in a commit.
  for (const c of columns) {
    const values = cols[c]
    if (c === 'add') {
      for (let i = 0; i < values.length; i++) {
        const add = values[i] as Record<string, unknown> | null
        if (add == null) continue
        // Files written with `delta.checkpoint.writeStatsAsJson=false` carry only `stats_parsed`.
        if (add.stats_parsed !== undefined || add.partitionValues_parsed !== undefined) {
          if (add.stats == null && add.stats_parsed != null) add.stats = statsParsedToJson(add.stats_parsed)
          if (add.partitionValues == null && add.partitionValues_parsed != null) add.partitionValues = partitionValuesFromParsed(add.partitionValues_parsed)
          delete add.stats_parsed
          delete add.partitionValues_parsed
        }
        adds.push(parseAdd(add, ctx))
      }
      continue
    }
    for (let i = 0; i < values.length; i++) {
      const v = values[i]
      if (v == null) continue
      const a = parseAction(wrap(c, v), ctx)
      if (a) out.push(a)
    }
  }
  return { actions: out, adds }
}

/**
 * What need not be decoded, from the footer alone: `partitionValues_parsed` whenever the string map
 * exists; `stats_parsed` when the null counts show every add also has the JSON `stats` (null count
 * of add.stats equals that of add.path, which is only null on non-add rows); and any top-level column,
 * or struct field of an add or remove, whose every leaf is null in every row group (a table without
 * removes, deletion vectors or row tracking). A checkpoint of a million files has a million rows, so
 * each column skipped is a million levels not decoded. Maps and lists are kept (an empty
 * `partitionValues` is not a null one). Without null counts in the footer nothing is skipped.
 */
function prunable(metadata: FileMetaData): { prune: Set<string>; absent: Set<string> } {
  const prune = new Set<string>()
  const names = new Set<string>()
  const allNull = new Map<string, boolean>()
  for (const rg of metadata.row_groups) {
    for (const c of rg.columns) {
      const m = c.meta_data
      if (!m) continue
      names.add(m.path_in_schema.slice(0, 2).join('.'))
      const nulls = m.statistics?.null_count
      const key = m.path_in_schema.join('.')
      allNull.set(key, (allNull.get(key) ?? true) && nulls !== undefined && BigInt(nulls) === BigInt(m.num_values))
    }
  }
  if (names.has('add.partitionValues')) prune.add('add.partitionValues_parsed')
  if (names.has('add.stats') && names.has('add.path')) {
    const statsEverywhere = metadata.row_groups.every((rg) => {
      const nulls = (p: string) => rg.columns.find((c) => c.meta_data?.path_in_schema.join('.') === p)?.meta_data?.statistics?.null_count
      const a = nulls('add.path')
      const b = nulls('add.stats')
      return a !== undefined && b !== undefined && BigInt(a) === BigInt(b)
    })
    if (statsEverywhere) prune.add('add.stats_parsed')
  }
  const empty = (prefix: string): boolean => {
    let any = false
    for (const [k, v] of allNull) {
      if (k !== prefix && !k.startsWith(prefix + '.')) continue
      if (!v) return false
      any = true
    }
    return any
  }
  const absent = new Set<string>()
  for (const top of parquetSchema(metadata).children) {
    const name = top.element.name
    if (empty(name)) { absent.add(name); continue }
    if (name !== 'add' && name !== 'remove') continue
    for (const f of top.children) {
      const kind = f.element.converted_type ?? f.element.logical_type?.type
      if (kind !== 'MAP' && kind !== 'LIST' && empty(`${name}.${f.element.name}`)) prune.add(`${name}.${f.element.name}`)
    }
  }
  return { prune, absent }
}

/** `{ <type>: payload }` with a literal key (computed keys make slow dictionary-mode objects). */
function wrap(type: string, v: unknown): unknown {
  switch (type) {
    case 'add': return { add: v }
    case 'remove': return { remove: v }
    case 'metaData': return { metaData: v }
    case 'protocol': return { protocol: v }
    case 'txn': return { txn: v }
    case 'domainMetadata': return { domainMetadata: v }
    case 'checkpointMetadata': return { checkpointMetadata: v }
    case 'sidecar': return { sidecar: v }
    default: return {}
  }
}
