// FaultStore: an ObjectStore wrapper that injects storage faults, for lagomago's reliability tests
// and users' own: fail or truncate the Nth read, write or listing, serve stale listings (missing
// the newest keys), fill the disk, or let a write land and still report failure (a lost reply).
import { StorageError } from '../errors.js'
import type { ListOptions, ObjectMeta, ObjectStore, PutOptions } from './object-store.js'
import { checkOptions, optionKeys } from '../options.js'

/** An ObjectStore call a fault rule can target. */
export type FaultOp = 'get' | 'getRange' | 'head' | 'list' | 'put' | 'putIfAbsent' | 'delete'
/** An operation, or a group: `read` = get/getRange/head, `write` = put/putIfAbsent/delete. */
export type FaultTarget = FaultOp | 'read' | 'write' | 'any'

/**
 * - `error`: the call fails with StorageError and has no effect.
 * - `truncate`: reads return a prefix of the bytes (a short read); listings stop half-way with an
 *   error; `put`/`putIfAbsent` store a prefix and then fail (a torn write; a real putIfAbsent must
 *   never do this, so use it on `put` unless you test what a broken store does).
 * - `enospc`: a write fails as on a full disk, writing nothing.
 * - `lostAck`: a write lands, then the call fails (the reply was lost).
 * - `stale`: a listing omits its `staleBy` newest entries (newest mtime, then greatest key).
 */
export type FaultKind = 'error' | 'truncate' | 'enospc' | 'lostAck' | 'stale'

/** One fault to inject: which calls (and keys) it hits, when, and what happens. */
export interface FaultRule {
  on: FaultTarget
  kind: FaultKind
  /** The first matching call to fault, 1-based (default 1). */
  nth?: number
  /** Matching calls to fault from the nth on (default 1; Infinity: every one). */
  times?: number
  /** Only calls whose key (for `list`: the prefix) matches. */
  key?: string | RegExp | ((key: string) => boolean)
  /** `truncate`: fraction of the bytes kept, 0 ≤ keep < 1 (default 0.5). */
  keep?: number
  /** `stale`: how many of the newest entries a listing omits (default 1). */
  staleBy?: number
}

/** One fault that fired. */
export interface InjectedFault {
  op: FaultOp
  key: string
  kind: FaultKind
  /** Position of the faulted call among all calls through this wrapper (1-based). */
  seq: number
}

/** Options of `FaultStore`. */
export interface FaultStoreOptions {
  /** Bytes the "disk" accepts in total; a write past it fails with ENOSPC and writes nothing. */
  capacityBytes?: number
}
const FAULT_STORE_OPTION_KEYS = optionKeys<FaultStoreOptions>()(['capacityBytes'])

const GROUPS: Record<string, readonly FaultOp[]> = {
  read: ['get', 'getRange', 'head'],
  write: ['put', 'putIfAbsent', 'delete'],
  any: ['get', 'getRange', 'head', 'list', 'put', 'putIfAbsent', 'delete'],
}

interface Armed { rule: FaultRule; seen: number }

/**
 * Test tool: wraps an ObjectStore and injects faults by rule (errors, truncated or lost writes, a full
 * disk, stale listings), to check that a failed write leaves the table as it was.
 * @example
 * const faulty = new FaultStore(new MemoryStore())
 * const t = await DeltaTable.create(faulty, { schema })
 * faulty.arm([{ on: 'putIfAbsent', kind: 'error' }]) // the next commit fails
 * await t.append(rows).catch(() => {})
 * console.log((await DeltaTable.open(faulty.inner)).version) // still 0
 */
export class FaultStore implements ObjectStore {
  readonly url: string
  /** Faults that fired, in order. */
  readonly injected: InjectedFault[] = []
  /** Calls made per operation (faulted or not), e.g. to pick an N that a workload reaches. */
  readonly calls: Record<FaultOp, number> = { get: 0, getRange: 0, head: 0, list: 0, put: 0, putIfAbsent: 0, delete: 0 }
  /** Bytes written through this wrapper (counted against `capacityBytes`). */
  bytesWritten = 0
  /** Calls made through this wrapper so far, all operations together. */
  seq = 0
  capacityBytes?: number
  private armed: Armed[] = []

  constructor(readonly inner: ObjectStore, rules: FaultRule[] = [], options: FaultStoreOptions = {}) {
    checkOptions('FaultStore', options, FAULT_STORE_OPTION_KEYS)
    this.url = inner.url
    this.capacityBytes = options.capacityBytes
    this.arm(rules)
  }

  /** Replace the rules (their call counters start again from zero). */
  arm(rules: FaultRule[]): this {
    for (const r of rules) {
      if (r.nth !== undefined && (!Number.isInteger(r.nth) || r.nth < 1)) throw new RangeError(`FaultRule.nth must be a positive integer, got ${r.nth}`)
      if (r.keep !== undefined && !(r.keep >= 0 && r.keep < 1)) throw new RangeError(`FaultRule.keep must be in [0, 1), got ${r.keep}`)
    }
    this.armed = rules.map((rule) => ({ rule, seen: 0 }))
    return this
  }

  /** Remove every rule (and the disk capacity): the wrapper passes calls through. */
  disarm(): this {
    this.armed = []
    this.capacityBytes = undefined
    return this
  }

  /** The rule that faults this call, if any (every matching rule counts the call). */
  private match(op: FaultOp, key: string): FaultRule | undefined {
    this.calls[op]++
    this.seq++
    let hit: FaultRule | undefined
    for (const a of this.armed) {
      const { rule } = a
      if (rule.on !== op && !(GROUPS[rule.on]?.includes(op) ?? false)) continue
      if (!keyMatches(rule.key, key)) continue
      a.seen++
      const first = rule.nth ?? 1
      const times = rule.times ?? 1
      if (!hit && a.seen >= first && a.seen < first + times && applies(rule.kind, op)) hit = rule
    }
    if (hit) this.injected.push({ op, key, kind: hit.kind, seq: this.seq })
    return hit
  }

  private fail(op: FaultOp, key: string, kind: FaultKind): StorageError {
    const what = kind === 'enospc' ? 'no space left on device (ENOSPC, injected)' : `injected ${kind} fault`
    return new StorageError(`${what}: ${op} ${this.url}/${key}`, { file: key })
  }

  async get(key: string): Promise<Uint8Array> {
    const rule = this.match('get', key)
    if (rule?.kind === 'error') throw this.fail('get', key, 'error')
    const bytes = await this.inner.get(key)
    return rule?.kind === 'truncate' ? bytes.slice(0, Math.floor(bytes.length * (rule.keep ?? 0.5))) : bytes
  }

  async getRange(key: string, start: number, end: number): Promise<Uint8Array> {
    const rule = this.match('getRange', key)
    if (rule?.kind === 'error') throw this.fail('getRange', key, 'error')
    const bytes = await this.inner.getRange(key, start, end)
    return rule?.kind === 'truncate' ? bytes.slice(0, Math.floor(bytes.length * (rule.keep ?? 0.5))) : bytes
  }

  async head(key: string): Promise<ObjectMeta | undefined> {
    const rule = this.match('head', key)
    if (rule?.kind === 'error') throw this.fail('head', key, 'error')
    return this.inner.head(key)
  }

  async putIfAbsent(key: string, data: Uint8Array): Promise<boolean> {
    return this.write('putIfAbsent', key, data, (d) => this.inner.putIfAbsent(key, d))
  }

  async put(key: string, data: Uint8Array, options?: PutOptions): Promise<void> {
    await this.write('put', key, data, async (d) => { await this.inner.put(key, d, options); return true })
  }

  private async write(op: 'put' | 'putIfAbsent', key: string, data: Uint8Array, doWrite: (d: Uint8Array) => Promise<boolean>): Promise<boolean> {
    const rule = this.match(op, key)
    if (rule?.kind === 'error') throw this.fail(op, key, 'error')
    if (rule?.kind === 'enospc' || (this.capacityBytes !== undefined && this.bytesWritten + data.length > this.capacityBytes)) {
      if (!rule) this.injected.push({ op, key, kind: 'enospc', seq: this.seq })
      throw this.fail(op, key, 'enospc')
    }
    if (rule?.kind === 'truncate') {
      const part = data.slice(0, Math.floor(data.length * (rule.keep ?? 0.5)))
      this.bytesWritten += part.length
      await doWrite(part)
      throw this.fail(op, key, 'truncate')
    }
    const ok = await doWrite(data)
    if (ok) this.bytesWritten += data.length
    if (rule?.kind === 'lostAck') throw Object.assign(this.fail(op, key, 'lostAck'), { uncertain: true })
    return ok
  }

  async delete(key: string): Promise<void> {
    const rule = this.match('delete', key)
    if (rule?.kind === 'error') throw this.fail('delete', key, 'error')
    await this.inner.delete(key)
    if (rule?.kind === 'lostAck') throw this.fail('delete', key, 'lostAck')
  }

  async *list(prefix: string, options?: ListOptions): AsyncIterable<ObjectMeta> {
    const rule = this.match('list', prefix)
    if (rule?.kind === 'error') throw this.fail('list', prefix, 'error')
    if (!rule) {
      yield* this.inner.list(prefix, options)
      return
    }
    const all: ObjectMeta[] = []
    for await (const m of this.inner.list(prefix, options)) all.push(m)
    if (rule.kind === 'truncate') {
      yield* all.slice(0, Math.floor(all.length * (rule.keep ?? 0.5)))
      throw this.fail('list', prefix, 'truncate')
    }
    // stale: drop the newest entries, keep the rest in key order
    const newest = all.slice().sort((a, b) => a.mtime - b.mtime || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    const hidden = new Set(newest.slice(Math.max(0, newest.length - (rule.staleBy ?? 1))).map((m) => m.key))
    for (const m of all) if (!hidden.has(m.key)) yield m
  }
}

function keyMatches(filter: FaultRule['key'], key: string): boolean {
  if (filter === undefined) return true
  if (typeof filter === 'string') return key === filter
  if (filter instanceof RegExp) return filter.test(key)
  return filter(key)
}

/** Kinds that make sense for an operation; a rule whose kind does not apply only counts the call. */
function applies(kind: FaultKind, op: FaultOp): boolean {
  switch (kind) {
    case 'error': return true
    case 'truncate': return op !== 'head' && op !== 'delete'
    case 'stale': return op === 'list'
    case 'enospc': return op === 'put' || op === 'putIfAbsent'
    case 'lostAck': return op === 'put' || op === 'putIfAbsent' || op === 'delete'
  }
}
