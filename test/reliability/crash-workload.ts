// The seeded workload of the crash harness, shared by the child that runs it and the parent that
// checks what survived: op `i` of a seed is a pure function of (seed, i), data ops carry a txn
// (appId APP_ID, version i) so the log itself says which ops landed, and `applyOp` is the model.
import type { DeltaTable } from '../../src/table/delta-table.js'
import type { StructType } from '../../src/schema/types.js'

export const APP_ID = 'crash-harness'

export interface Row { id: bigint; p: string; v: bigint }

export interface Change { id: bigint; p: string; v: bigint; op: 'U' | 'D'; seq: bigint }

export type Op =
  | { kind: 'append'; index: number; rows: Row[] }
  | { kind: 'overwrite'; index: number; partition: string; rows: Row[] }
  | { kind: 'cdc'; index: number; changes: Change[] }
  | { kind: 'delete'; index: number; below: bigint }
  | { kind: 'update'; index: number; below: bigint; add: bigint }
  | { kind: 'checkpoint'; index: number }
  | { kind: 'optimize'; index: number }
  | { kind: 'vacuum'; index: number }

export type OpKind = Op['kind']

/** Ops that change rows: one commit each, recorded with a txn. */
export const DATA_OPS: ReadonlySet<OpKind> = new Set(['append', 'overwrite', 'cdc', 'delete', 'update'])

export const SCHEMA: StructType = {
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: false, metadata: {} },
    { name: 'p', type: 'string', nullable: true, metadata: {} },
    { name: 'v', type: 'long', nullable: true, metadata: {} },
  ],
}

/** Small checkpoint interval so that automatic checkpoints (and their crashes) happen often. */
export const PROPERTIES: Record<string, string> = {
  'delta.enableDeletionVectors': 'true',
  'delta.enableChangeDataFeed': 'true',
  'delta.checkpointInterval': '4',
}

export const CREATE_OPTIONS = { schema: SCHEMA, partitionBy: ['p'], properties: PROPERTIES, primaryKey: 'id' }

const PARTS = ['a', 'b', 'c']
/** Each id lives in one partition forever, so CDC upserts never move rows between partitions. */
export const pOf = (id: bigint): string => PARTS[Number(id % 3n)]

/** mulberry32 seeded by (seed, index): op i does not depend on how many ops ran before it. */
function rng(seed: number, index: number): () => number {
  let a = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35)) >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const WEIGHTS: [OpKind, number][] = [
  ['append', 24], ['cdc', 24], ['delete', 9], ['update', 9], ['overwrite', 8], ['checkpoint', 10], ['optimize', 9], ['vacuum', 7],
]

/** Op `index` of the workload `seed`. Ids of op i are i*1000+j, so appends never collide with older rows. */
export function generateOp(seed: number, index: number, force?: OpKind): Op {
  const r = rng(seed, index)
  const int = (n: number) => Math.floor(r() * n)
  let kind = force
  if (!kind) {
    let x = int(WEIGHTS.reduce((s, [, w]) => s + w, 0))
    for (const [k, w] of WEIGHTS) { if (x < w) { kind = k; break } x -= w }
  }
  const base = BigInt(index) * 1000n
  switch (kind) {
    case 'append': {
      const n = 1 + int(40)
      return { kind, index, rows: Array.from({ length: n }, (_, j) => { const id = base + BigInt(j); return { id, p: pOf(id), v: BigInt(int(1000)) } }) }
    }
    case 'overwrite': {
      const partition = PARTS[int(3)]
      const rows: Row[] = []
      for (let j = 0; j < 30; j++) {
        const id = base + BigInt(j)
        if (pOf(id) === partition && r() < 0.7) rows.push({ id, p: partition, v: BigInt(int(1000)) })
      }
      return { kind, index, partition, rows }
    }
    case 'cdc': {
      const n = 1 + int(25)
      const changes = Array.from({ length: n }, (_, j) => {
        // Keys of earlier ops (maybe present, maybe deleted) and a few fresh ones.
        const id = BigInt(int(index + 1)) * 1000n + BigInt(int(40))
        return { id, p: pOf(id), v: BigInt(int(1000)), op: (r() < 0.25 ? 'D' : 'U') as 'U' | 'D', seq: BigInt(j) }
      })
      return { kind, index, changes }
    }
    case 'delete': return { kind, index, below: BigInt(int(150)) }
    case 'update': return { kind, index, below: BigInt(int(200)), add: BigInt(1000 + int(500)) }
    default: return { kind: kind as 'checkpoint' | 'optimize' | 'vacuum', index }
  }
}

/** The model: rows by id after `op` (maintenance ops change nothing). */
export function applyOp(model: Map<bigint, Row>, op: Op): void {
  switch (op.kind) {
    case 'append':
      for (const row of op.rows) model.set(row.id, row)
      break
    case 'overwrite':
      for (const [id, row] of model) if (row.p === op.partition) model.delete(id)
      for (const row of op.rows) model.set(row.id, row)
      break
    case 'cdc': {
      const last = new Map<bigint, Change>()
      for (const c of op.changes) last.set(c.id, c) // ascending seq: the later change wins
      for (const c of last.values()) {
        if (c.op === 'D') model.delete(c.id)
        else model.set(c.id, { id: c.id, p: c.p, v: c.v })
      }
      break
    }
    case 'delete':
      for (const [id, row] of model) if (row.v < op.below) model.delete(id)
      break
    case 'update':
      for (const row of model.values()) if (row.v < op.below) row.v += op.add
      break
  }
}

/** What the child prints after an op returned: the version it reports (data ops: their commit). */
export async function runOp(t: DeltaTable, op: Op): Promise<number | undefined> {
  const txn = { appId: APP_ID, version: op.index }
  switch (op.kind) {
    case 'append': return (await t.append(op.rows, { txn })).version
    case 'overwrite': return (await t.overwrite(op.rows, { replaceWhere: `p = '${op.partition}'`, txn })).version
    case 'cdc': return (await t.merge(op.changes, { opColumn: 'op', sequence: 'seq', txn })).version
    case 'delete': return (await t.delete(`v < ${op.below}`, { txn })).version
    case 'update': return (await t.update(`v < ${op.below}`, { v: `v + ${op.add}` }, { txn })).version
    case 'optimize': return (await t.optimize()).version
    case 'vacuum': return (await t.vacuum({ retentionHours: 0, enforceRetentionDuration: false })).version
    case 'checkpoint': {
      // An explicit checkpoint of the current version, as a user's maintenance job would write.
      const { writeCheckpoint } = await import('../../src/log/checkpoint-write.js')
      await writeCheckpoint(t.snapshot)
      return t.version
    }
  }
}

export function sortRows(rows: Row[]): Row[] {
  return rows.slice().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}
