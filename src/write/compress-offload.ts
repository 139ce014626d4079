// Page compression on a second thread for large writes (issue 17: DuckDB writes Parquet on every
// core; Snappy is the largest single cost of our writer). Where Node's worker_threads exist, the pool
// (page-pool.ts, loaded by a computed specifier so browser bundles never see node: modules) compresses
// pages while this thread encodes the next ones and computes the file's stats. Everywhere else, and
// for small writes, pages are compressed in this thread; the file is byte for byte the same.
import type { ParquetCodec } from './codec.js'
import type { PagePool } from './page-pool.js'

/**
 * When pages go to the worker: a write of at least `minBytes` of estimated uncompressed values (the
 * worker's start-up, ~20–40 ms of the other core, pays beyond a few MiB). `ringBytes`: the shared
 * memory pages wait in for the worker (page-pool.ts), read when a worker starts. Tests change these.
 */
export const offloadSettings = { enabled: true, minBytes: 8 << 20, ringBytes: 16 << 20 }

const NODE = typeof process !== 'undefined' && typeof process.versions?.node === 'string'
type PoolModule = typeof import('./page-pool.js')
let loading: Promise<PoolModule | undefined> | undefined
let loaded: PoolModule | undefined
let pool: PagePool | undefined

/** Codecs the worker compresses (gzip would need fflate loaded there too; Snappy is the default). */
export function offloadable(codec: ParquetCodec): boolean {
  return codec === 'SNAPPY'
}

function loadModule(): Promise<PoolModule | undefined> {
  // A computed specifier that bundlers leave alone (as resolve.ts loads local-store.js); any failure
  // (no worker_threads, a bundle without the file) leaves compression in this thread.
  const specifier = './page-pool.js'
  loading ??= import(/* @vite-ignore */ specifier).then((m: PoolModule) => (loaded = m), () => undefined)
  return loading
}

/** The pool, its worker (re)started (one that stopped is replaced); undefined if it cannot start. */
function poolNow(m: PoolModule | undefined): PagePool | undefined {
  if (!m) return undefined
  try {
    if (pool) pool.warm()
    else pool = m.startPagePool(() => offloadSettings.ringBytes)
  } catch {
    return undefined
  }
  return pool
}

/** Start the worker ahead of a write of `estimatedBytes` uncompressed, so it is ready when pages are. */
export function prestartCompression(estimatedBytes: number, codec: ParquetCodec): void {
  if (!wantsPool(estimatedBytes, codec)) return
  // Not loaded yet: the pool starts after this write's encoding (writeCompressionPool), not during it.
  if (loaded) poolNow(loaded)
  else void loadModule()
}

function wantsPool(estimatedBytes: number, codec: ParquetCodec): boolean {
  return NODE && offloadSettings.enabled && offloadable(codec) && estimatedBytes >= offloadSettings.minBytes
}

/**
 * The pool for a write of `estimatedBytes`, started now (its worker perhaps still loading), when it
 * should and can compress its pages. Writes use writeCompressionPool; this is the tests' way to a pool.
 */
export async function compressionPool(estimatedBytes: number, codec: ParquetCodec): Promise<PagePool | undefined> {
  if (!wantsPool(estimatedBytes, codec)) return undefined
  return poolNow(await loadModule())
}

/**
 * The pool for a write about to encode its pages, if its worker has loaded; else undefined (the write
 * compresses its pages itself) and the worker starts as soon as this thread is free, for the next
 * write: loading it while this one encodes would only compete with it for the other core.
 */
export async function writeCompressionPool(estimatedBytes: number, codec: ParquetCodec): Promise<PagePool | undefined> {
  if (!wantsPool(estimatedBytes, codec)) return undefined
  const m = await loadModule()
  if (!m) return undefined
  if (pool?.ready) return pool
  setTimeout(() => poolNow(m), 0)
  return undefined
}
