// An in-process ObjectStore for tests and the browser; `memory://name` stores are shared by name
// within one process so that two handles on one URI see the same table.
import { MissingFileError } from '../errors.js'
import type { ListOptions, ObjectMeta, ObjectStore } from './object-store.js'

interface Entry { data: Uint8Array; mtime: number }

const named = new Map<string, Map<string, Entry>>()

/**
 * An in-process ObjectStore (tests, the browser, scratch tables). Stores opened with the same
 * `memory://name` URI in one process share their objects.
 * @example
 * const t = await DeltaTable.create(new MemoryStore(), { schema })
 */
export class MemoryStore implements ObjectStore {
  readonly url: string
  private readonly objects: Map<string, Entry>

  /** A store of its own, or the process-wide store called `name` (as `memory://name` resolves). */
  constructor(name?: string) {
    if (name === undefined) {
      this.objects = new Map()
      this.url = 'memory://'
    } else {
      let objects = named.get(name)
      if (!objects) named.set(name, (objects = new Map()))
      this.objects = objects
      this.url = `memory://${name}`
    }
  }

  /** Forget a named store (tests). */
  static drop(name: string): void {
    named.delete(name)
  }

  async get(key: string): Promise<Uint8Array> {
    return copy(this.entry(key).data)
  }

  async getRange(key: string, start: number, end: number): Promise<Uint8Array> {
    const { data } = this.entry(key)
    return copy(data.subarray(Math.max(0, start), Math.min(data.length, end)))
  }

  async putIfAbsent(key: string, data: Uint8Array): Promise<boolean> {
    if (this.objects.has(key)) return false
    this.objects.set(key, { data: copy(data), mtime: Date.now() })
    return true
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    this.objects.set(key, { data: copy(data), mtime: Date.now() })
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<ObjectMeta> {
    const { startAfter, recursive = true } = options
    const keys = [...this.objects.keys()].filter((k) =>
      k.startsWith(prefix) &&
      (startAfter === undefined || k > startAfter) &&
      (recursive || !k.slice(prefix.lastIndexOf('/') + 1).includes('/')))
    keys.sort()
    for (const key of keys) {
      const e = this.objects.get(key)
      if (e) yield { key, size: e.data.length, mtime: e.mtime }
    }
  }

  async head(key: string): Promise<ObjectMeta | undefined> {
    const e = this.objects.get(key)
    return e && { key, size: e.data.length, mtime: e.mtime }
  }

  async delete(key: string): Promise<void> {
    this.objects.delete(key)
  }

  /** Test hook: set an object's mtime (e.g. to simulate old files for VACUUM). */
  setMtime(key: string, mtime: number): void {
    this.entry(key).mtime = mtime
  }

  private entry(key: string): Entry {
    const e = this.objects.get(key)
    if (!e) throw new MissingFileError(`no such object ${this.url}/${key}`, { file: key })
    return e
  }
}

/** A real copy: Node's `Buffer#slice` returns a view of its (shared, pooled) memory. */
function copy(bytes: Uint8Array): Uint8Array {
  return Uint8Array.prototype.slice.call(bytes)
}
