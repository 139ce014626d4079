// Node only: the worker thread that compresses a large write's Parquet pages and lays out the file's
// body (compress-offload.ts loads this module by a computed specifier; page-worker.ts is the worker's
// side). This thread copies each encoded page into a ring of shared memory and goes on encoding; the
// worker compresses the pages in order, writes each header and compressed body as the in-thread
// writer would, and tells this thread through the ring's counter which pages it is done with. When the
// ring is full this thread compresses the page itself and sends the compressed bytes (the worker
// still places them), so neither thread waits for the other and the file is the same bytes.
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { ParquetCodec } from './codec.js'
import type { PageTemplate, Scratch } from './page-encoder.js'

/** Pool → worker messages. */
export type WorkerRequest =
  | { kind: 'init'; ring: SharedArrayBuffer; done: SharedArrayBuffer }
  | { kind: 'begin'; file: number; codec: ParquetCodec; initialSize: number }
  /** A page in the ring at [offset, offset + rawLength) (`seq` > 0), or already compressed (`data`). */
  | { kind: 'page'; file: number; header: PageTemplate; rawLength: number; seq: number; offset: number; data?: Uint8Array }
  | { kind: 'end'; file: number }
  | { kind: 'abort'; file: number }

/** Worker → pool messages: the file body (PAR1 and every page) and each page's header and body sizes. */
export type WorkerReply =
  | { file: number; body: ArrayBuffer; length: number; sizes: Int32Array }
  | { file: number; error: string }

/** The body of a file the worker laid out: `bytes[0, length)`; page k's header and compressed sizes at sizes[2k], sizes[2k + 1]. */
export interface FileBody { bytes: Uint8Array; length: number; sizes: Int32Array }

/** One file's pages on their way to the worker. */
export interface PageSink {
  /** Send a finished page (`page.bytes[0, page.pos)`, uncompressed) and its header; `page` may be reused at once. */
  page(page: Scratch, header: PageTemplate): void
  /** Every page is sent: the file's body, or a rejection when the worker failed or stopped. */
  finish(): Promise<FileBody>
  /** The encoding failed: drop the file. */
  abort(): void
}

/** A worker thread laying out files' pages; a worker that stops is replaced at the next write. */
export interface PagePool {
  /** Whether the worker has loaded: a file goes to it only then (before, its writer writes it itself). */
  readonly ready: boolean
  /**
   * Start a file compressed with `codec`; `compressHere` compresses a page in this thread (a copy of
   * the bytes) when the worker is a ring's worth of pages behind.
   */
  begin(codec: ParquetCodec, initialSize: number, compressHere: (page: Scratch) => Uint8Array): PageSink
  /** Start a worker if none runs (after one stopped). */
  warm(): void
  /** Stop the worker now (tests: a worker that dies mid-write); files in flight are rejected. */
  terminate(): Promise<void>
}

/**
 * The worker: page-worker.js beside this module (dist/chunks/). Run from src/ (tsx, vitest: the
 * development tree) it is TypeScript, loaded through tsx's API (a worker does not inherit tsx's hooks).
 */
function spawn(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./page-worker.js', import.meta.url))
  // tsx's ESM entry (its CommonJS one cannot tsImport from a worker's eval)
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href
  const entry = new URL('./page-worker.ts', import.meta.url).href
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => m.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(entry)}))`, { eval: true })
}

class WorkerPagePool implements PagePool {
  private worker: Worker | undefined
  private started = false
  private nextFile = 0
  private readonly files = new Map<number, { resolve: (b: FileBody) => void; reject: (e: Error) => void }>()
  // The ring: pages at [start, end) the worker has not finished with, oldest first.
  private ring = new Uint8Array(new SharedArrayBuffer(0))
  /** [0]: the last ring page the worker is done with; [1]: 1 once the worker has loaded. */
  private done = new Int32Array(new SharedArrayBuffer(8))
  private readonly queued: Array<{ seq: number; start: number; end: number }> = []
  private head = 0
  private seq = 0

  /** `ringBytes`: the shared memory pages wait in for the worker, allocated when a worker starts. */
  constructor(private readonly ringBytes: () => number) {}

  warm(): void {
    if (this.worker) return
    const worker = spawn()
    this.worker = worker
    this.started = false
    this.ring = new Uint8Array(new SharedArrayBuffer(this.ringBytes()))
    this.done = new Int32Array(new SharedArrayBuffer(8))
    this.queued.length = 0
    this.head = 0
    this.seq = 0
    worker.postMessage({ kind: 'init', ring: this.ring.buffer, done: this.done.buffer } satisfies WorkerRequest)
    worker.on('message', (m: WorkerReply) => this.reply(worker, m))
    const stop = (why: string) => {
      if (this.worker !== worker) return
      this.worker = undefined
      const failed = [...this.files.values()]
      this.files.clear()
      for (const f of failed) f.reject(new Error(`the page compression worker stopped: ${why}`))
    }
    worker.on('error', (e) => stop((e as Error).message))
    worker.on('messageerror', (e) => stop((e as Error).message))
    worker.on('exit', (code) => stop(`exit code ${code}`))
    // After the listeners: a 'message' listener refs the worker's port again.
    worker.unref()
  }

  /**
   * Read from the shared flag the worker sets once loaded, not from a message: this thread may be
   * busy (converting the write's input) for the whole time the worker takes to load.
   */
  get ready(): boolean {
    if (!this.worker) return false
    if (!this.started) this.started = Atomics.load(this.done, 1) === 1
    return this.started
  }

  private reply(worker: Worker, m: WorkerReply): void {
    const f = this.files.get(m.file)
    if (!f) return
    this.files.delete(m.file)
    if (this.files.size === 0) worker.unref()
    if ('error' in m) f.reject(new Error(m.error))
    else f.resolve({ bytes: new Uint8Array(m.body), length: m.length, sizes: m.sizes })
  }

  /** Where a page of `len` bytes goes in the ring, or -1 when the worker has not freed room for it. */
  private alloc(len: number): number {
    const done = Atomics.load(this.done, 0)
    while (this.queued.length && this.queued[0].seq <= done) this.queued.shift()
    if (this.queued.length === 0) return len <= this.ring.length ? (this.head = 0) : -1
    // Room is [head, end) and [0, tail) while head ≥ tail, else [head, tail); head never reaches tail.
    const tail = this.queued[0].start
    if (this.head >= tail) {
      if (this.head + len <= this.ring.length) return this.head
      return len < tail ? 0 : -1
    }
    return this.head + len < tail ? this.head : -1
  }

  begin(codec: ParquetCodec, initialSize: number, compressHere: (page: Scratch) => Uint8Array): PageSink {
    const worker = this.worker
    if (!worker || !this.ready) throw new Error('internal: page compression worker used before it was ready')
    const file = this.nextFile++
    const result = new Promise<FileBody>((resolve, reject) => this.files.set(file, { resolve, reject }))
    // The writer looks at the result once every page is sent; a failure before is not "unhandled".
    result.catch(() => {})
    if (this.files.size === 1) worker.ref()
    worker.postMessage({ kind: 'begin', file, codec, initialSize } satisfies WorkerRequest)
    return {
      page: (page, header) => {
        const rawLength = page.pos
        const at = this.alloc(rawLength)
        if (at < 0) {
          // The worker is behind by a ring's worth: this thread compresses the page (it still goes in order).
          const data = compressHere(page)
          worker.postMessage({ kind: 'page', file, header, rawLength, seq: 0, offset: 0, data } satisfies WorkerRequest, [data.buffer as ArrayBuffer])
          return
        }
        this.ring.set(page.bytes.subarray(0, rawLength), at)
        this.head = at + rawLength
        const seq = ++this.seq
        this.queued.push({ seq, start: at, end: at + rawLength })
        worker.postMessage({ kind: 'page', file, header, rawLength, seq, offset: at } satisfies WorkerRequest)
      },
      finish: () => {
        worker.postMessage({ kind: 'end', file } satisfies WorkerRequest)
        return result
      },
      abort: () => {
        worker.postMessage({ kind: 'abort', file } satisfies WorkerRequest)
        this.files.delete(file)
        if (this.files.size === 0) worker.unref()
      },
    }
  }

  async terminate(): Promise<void> {
    const worker = this.worker
    if (worker) await worker.terminate()
  }
}

/**
 * The process's page pool, its worker started. The ring's size is asked for at each worker start
 * (compress-offload.ts's settings): this module imports nothing of ours at run time, so loading it
 * splits no shared code out of the package's other chunks.
 */
export function startPagePool(ringBytes: () => number): PagePool {
  const pool = new WorkerPagePool(ringBytes)
  pool.warm()
  return pool
}
