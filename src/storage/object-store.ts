// The storage contract every backend implements. Keys are '/'-separated paths relative to the
// store's root; the store knows nothing of Delta. Modelled on delta-kernel-rs's storage handler.

/** What a listing or `head` reports for one object. */
export interface ObjectMeta {
  key: string
  size: number
  /** Last modification, epoch milliseconds. */
  mtime: number
}

/** Options of `ObjectStore.list`. */
export interface ListOptions {
  /** Only keys strictly greater than this one (lexicographic, as S3's StartAfter). */
  startAfter?: string
  /** Descend into sub-folders (object-store semantics). Default true; false lists one level. */
  recursive?: boolean
}

/**
 * The storage contract every backend implements (local disk, memory, S3, Azure, HTTP): whole and
 * ranged reads, an atomic create-if-absent (the commit primitive), plain writes, listing and deletes.
 * Implement it to put tables somewhere else.
 * @example
 * const t = await DeltaTable.open(new MemoryStore('demo'))
 */
export interface ObjectStore {
  /** A printable location for messages, e.g. `file:///data/lake` or `memory://test`. */
  readonly url: string
  /** Whole object. Throws `MissingFileError` when absent. */
  get(key: string): Promise<Uint8Array>
  /** Bytes [start, end) of an object. Throws `MissingFileError` when absent. */
  getRange(key: string, start: number, end: number): Promise<Uint8Array>
  /**
   * Atomically create `key` with `data` unless it exists. Resolves `true` when written, `false` when
   * another writer got there first (a lost race is an ordinary result, not an exception). Readers
   * never observe a partially written object. Every earlier `put` of this store with `durable:
   * 'deferred'` is durable before the object becomes visible (or this call rejects).
   */
  putIfAbsent(key: string, data: Uint8Array): Promise<boolean>
  /**
   * Create or replace `key`; readers see either the old or the new object, never a mix.
   * `durable` (a hint, default true): `false` lets a store skip flushing to stable storage (after a
   * crash the object may be missing or empty; only for optional files, version checksums);
   * `'deferred'` lets it finish the flush later, by the next `putIfAbsent` at the latest (data files a
   * commit will name: their flushes overlap the commit's own). A store may treat both as `true`.
   */
  put(key: string, data: Uint8Array, options?: PutOptions): Promise<void>
  /** Objects whose key starts with `prefix`, in lexicographic key order. */
  list(prefix: string, options?: ListOptions): AsyncIterable<ObjectMeta>
  /** Size and mtime, or undefined when absent. */
  head(key: string): Promise<ObjectMeta | undefined>
  /** Remove `key`; removing an absent key is not an error. */
  delete(key: string): Promise<void>
  /**
   * Stores that stage writes in temporary objects (LocalStore's temp files before `link`) list them
   * here, hidden from `list`, so VACUUM can delete those a crashed writer left behind.
   */
  listStaging?(): AsyncIterable<ObjectMeta>
}

/**
 * Collect a listing into an array (small listings only: `_delta_log`, a partition folder).
 * @example
 * const commits = (await listAll(store, '_delta_log/')).filter((o) => o.key.endsWith('.json'))
 */
export async function listAll(store: ObjectStore, prefix: string, options?: ListOptions): Promise<ObjectMeta[]> {
  const out: ObjectMeta[] = []
  for await (const meta of store.list(prefix, options)) out.push(meta)
  return out
}

/** Options of `ObjectStore.put`: how soon the object must survive a crash (see `put`). */
export interface PutOptions {
  durable?: boolean | 'deferred'
}
