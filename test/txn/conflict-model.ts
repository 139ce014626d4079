// A tiny executable model of a partitioned Delta table for the conflict-checker property tests:
// files hold rows (p, x); operations (append, delete, replaceWhere overwrite, insert-select, optimize,
// property change, protocol upgrade) are planned against a state exactly as a writer would, yielding
// the actions and read set the checker sees. Replaying plans serially tells which rebases are safe.
import type { Action, AddFile, CommitInfo, Metadata, Protocol } from '../../src/log/actions.js'
import type { ReadSet } from '../../src/txn/conflict-checker.js'

export const PARTS = ['a', 'b', 'c'] as const
export type Part = (typeof PARTS)[number]

/** A read filter of the model: `p = <part>` and/or `x < <n>`; `{}` is the whole table. */
export interface Pred { p?: Part; xLt?: number }

export type Op =
  | { kind: 'append'; p: Part; rows: number[]; txn?: { appId: string; version: number } }
  | { kind: 'delete'; pred: Pred }
  | { kind: 'overwrite'; p: Part; rows: number[] }
  | { kind: 'insertSelect'; pred: Pred; target: Part }
  | { kind: 'optimize'; p: Part }
  | { kind: 'setProp'; key: string; value: string }
  | { kind: 'protocol' }

export interface ModelFile { path: string; p: Part; rows: number[] }

export interface State {
  files: Map<string, ModelFile>
  props: Record<string, string>
  txns: Map<string, number>
  /** A remove named a file that is not active: the log would be corrupt. */
  broken: boolean
}

export interface Plan {
  actions: Action[]
  operation: string
  commitInfo: CommitInfo
  read: ReadSet
}

export const PROTOCOL: Protocol = { minReaderVersion: 1, minWriterVersion: 2 }

/** Every file any plan wrote, by path (add actions carry no rows). */
export class Registry {
  private files = new Map<string, ModelFile>()
  private n = 0
  create(tag: string, p: Part, rows: number[]): ModelFile {
    const f = { path: `p=${p}/${tag}-${this.n++}.parquet`, p, rows }
    this.files.set(f.path, f)
    return f
  }
  get(path: string): ModelFile {
    const f = this.files.get(path)
    if (!f) throw new Error(`model: unknown file ${path}`)
    return f
  }
}

export function rowMatches(p: Part, x: number, pred: Pred): boolean {
  return (pred.p === undefined || pred.p === p) && (pred.xLt === undefined || x < pred.xLt)
}

/** What min/max skipping keeps: the partition matches and the file's minimum is below the bound. */
export function fileMayMatch(f: { p: Part; rows: number[] }, pred: Pred): boolean {
  return (pred.p === undefined || pred.p === f.p) && (pred.xLt === undefined || Math.min(...f.rows) < pred.xLt)
}

export function addAction(f: ModelFile, dataChange = true): Action {
  const add: AddFile = {
    path: f.path, partitionValues: { p: f.p }, size: 100 + f.rows.length, modificationTime: 0, dataChange,
    stats: JSON.stringify({ numRecords: f.rows.length, minValues: { x: Math.min(...f.rows) }, maxValues: { x: Math.max(...f.rows) }, nullCount: { x: 0 } }),
  }
  return { add }
}

export function removeAction(f: ModelFile, dataChange = true): Action {
  return { remove: { path: f.path, partitionValues: { p: f.p }, dataChange, deletionTimestamp: 0, size: 100 + f.rows.length } }
}

export function metadataFor(props: Record<string, string>): Metadata {
  return {
    id: 'model-table', format: { provider: 'parquet', options: {} }, partitionColumns: ['p'], configuration: props,
    schemaString: JSON.stringify({ type: 'struct', fields: [
      { name: 'p', type: 'string', nullable: true, metadata: {} },
      { name: 'x', type: 'integer', nullable: true, metadata: {} },
    ] }),
  }
}

/** Plan `op` against `s` as a writer would: scan what it needs (by partition and stats), then act. */
export function plan(op: Op, s: State, reg: Registry, tag: string): Plan {
  const candidates = (pred: Pred) => [...s.files.values()].filter((f) => fileMayMatch(f, pred))
  const whole = (pred: Pred) => pred.p === undefined && pred.xLt === undefined
  const info = (operation: string, isBlindAppend: boolean): CommitInfo => ({ operation, isBlindAppend })
  switch (op.kind) {
    case 'append': {
      if (op.txn && (s.txns.get(op.txn.appId) ?? -1) >= op.txn.version) {
        return { actions: [], operation: 'WRITE', commitInfo: info('WRITE', true), read: { readVersion: 0, appIds: [op.txn.appId] } }
      }
      const actions: Action[] = [addAction(reg.create(tag, op.p, op.rows))]
      if (op.txn) actions.push({ txn: { appId: op.txn.appId, version: op.txn.version } })
      return { actions, operation: 'WRITE', commitInfo: info('WRITE', true), read: { readVersion: 0, appIds: op.txn ? [op.txn.appId] : [] } }
    }
    case 'delete': {
      const scanned = candidates(op.pred)
      const actions: Action[] = []
      for (const f of scanned) {
        const keep = f.rows.filter((x) => !rowMatches(f.p, x, op.pred))
        if (keep.length === f.rows.length) continue
        actions.push(removeAction(f))
        if (keep.length) actions.push(addAction(reg.create(tag, f.p, keep)))
      }
      return { actions, operation: 'DELETE', commitInfo: info('DELETE', false),
        read: { readVersion: 0, predicates: [op.pred], files: scanned.map((f) => f.path), wholeTable: whole(op.pred) } }
    }
    case 'overwrite': {
      const scanned = candidates({ p: op.p })
      const actions: Action[] = scanned.map((f) => removeAction(f))
      actions.push(addAction(reg.create(tag, op.p, op.rows)))
      return { actions, operation: 'WRITE', commitInfo: info('WRITE', false),
        read: { readVersion: 0, predicates: [{ p: op.p }], files: scanned.map((f) => f.path) } }
    }
    case 'insertSelect': {
      const scanned = candidates(op.pred)
      const count = scanned.reduce((n, f) => n + f.rows.filter((x) => rowMatches(f.p, x, op.pred)).length, 0)
      return { actions: [addAction(reg.create(tag, op.target, [count]))], operation: 'WRITE', commitInfo: info('WRITE', false),
        read: { readVersion: 0, predicates: [op.pred], files: scanned.map((f) => f.path), wholeTable: whole(op.pred) } }
    }
    case 'optimize': {
      const scanned = candidates({ p: op.p })
      const actions: Action[] = []
      if (scanned.length >= 2) {
        for (const f of scanned) actions.push(removeAction(f, false))
        actions.push(addAction(reg.create(tag, op.p, scanned.flatMap((f) => f.rows)), false))
      }
      return { actions, operation: 'OPTIMIZE', commitInfo: info('OPTIMIZE', false),
        read: { readVersion: 0, predicates: [{ p: op.p }], files: scanned.map((f) => f.path) } }
    }
    case 'setProp':
      return { actions: [{ metaData: metadataFor({ ...s.props, [op.key]: op.value }) }], operation: 'SET TBLPROPERTIES',
        commitInfo: info('SET TBLPROPERTIES', false), read: { readVersion: 0 } }
    case 'protocol':
      return { actions: [{ protocol: { minReaderVersion: 1, minWriterVersion: 3 } }], operation: 'UPGRADE PROTOCOL',
        commitInfo: info('UPGRADE PROTOCOL', false), read: { readVersion: 0 } }
  }
}

export function apply(s: State, actions: readonly Action[], reg: Registry): State {
  const next: State = { files: new Map(s.files), props: s.props, txns: new Map(s.txns), broken: s.broken }
  for (const a of actions) {
    if ('add' in a) next.files.set(a.add.path, reg.get(a.add.path))
    else if ('remove' in a) { if (!next.files.delete(a.remove.path)) next.broken = true }
    else if ('metaData' in a) next.props = a.metaData.configuration
    else if ('txn' in a) next.txns.set(a.txn.appId, a.txn.version)
  }
  return next
}

/** What a reader can observe: the rows (as a sorted multiset), the properties, the app versions. */
export function observe(s: State): string {
  const rows = [...s.files.values()].flatMap((f) => f.rows.map((x) => `${f.p}:${x}`)).sort()
  const props = Object.entries(s.props).sort()
  const txns = [...s.txns.entries()].sort()
  return JSON.stringify({ rows, props, txns })
}
