// ObjectStore over a local folder (Node only). Put-if-absent writes a fsynced temp file in the same
// folder and hard-links it to the final name: link() fails with EEXIST when another writer won, and a
// reader can never see the commit half-written (writeFile with flag 'wx' exposes partial files, and
// rename() silently replaces a winner's commit).
import { randomUUID } from 'node:crypto'
import { closeSync, fstatSync, openSync, promises as fs, readSync } from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { InvalidArgumentError, MissingFileError, StorageError } from '../errors.js'
import type { ListOptions, ObjectMeta, ObjectStore, PutOptions } from './object-store.js'

/** Temp files are dot-files so that Delta readers and listings of data folders ignore them. */
const TEMP_PREFIX = '.lagomago-tmp-'
/** Ranges above this many bytes are clamped to the file's size before allocating. */
const LARGE_RANGE = 16 * 1024 * 1024
/** Files up to this size are read synchronously by `get` (see there). */
const SMALL_FILE = 64 * 1024
/** Deferred flushes (open file descriptors) a store lets run at once. */
const MAX_PENDING_FLUSHES = 64

/**
 * An ObjectStore over a local folder (Node only). `DeltaTable.open('./path')` uses it already; name it
 * to pass one store to several calls or wrap it (e.g. in a `FaultStore`).
 * @example
 * const t = await DeltaTable.open(new LocalStore('./lake/events'))
 */
export class LocalStore implements ObjectStore {
  readonly url: string
  readonly root: string

  /** `root`: a filesystem path or a `file://` URL. */
  constructor(root: string) {
    this.root = path.resolve(root.startsWith('file:') ? fileURLToPath(normaliseFileUrl(root)) : root)
    this.url = pathToFileURL(this.root).href
  }

  private abs(key: string): string {
    return path.join(this.root, ...key.split('/'))
  }

  async get(key: string): Promise<Uint8Array> {
    const abs = this.abs(key)
    try {
      // A small file (a commit, a checksum, _last_checkpoint: most reads of a busy log; a writer
      // that lost a race reads every winner) is read in one synchronous step: the four thread-pool
      // round trips of an asynchronous read cost several times the read itself.
      const fd = openSync(abs, 'r')
      let small: Uint8Array | undefined
      try {
        const size = fstatSync(fd).size
        if (size <= SMALL_FILE) {
          const buf = new Uint8Array(size)
          let n = 0
          for (let r; n < size && (r = readSync(fd, buf, n, size - n, n)) > 0;) n += r
          small = n === size ? buf : buf.subarray(0, n)
        }
      } finally {
        closeSync(fd)
      }
      if (small) return small
      const buf = await fs.readFile(abs)
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
    } catch (e) {
      throw this.translate(e, key)
    }
  }

  async getRange(key: string, start: number, end: number): Promise<Uint8Array> {
    let fh: fs.FileHandle | undefined
    try {
      fh = await fs.open(this.abs(key), 'r')
      let length = Math.max(0, end - start)
      // Never allocate more than the file holds: ranges come from sizes and offsets written in the
      // log, which a damaged or hostile table can set to anything (a short read is the caller's to
      // judge). Only large ranges pay for the extra stat.
      if (length > LARGE_RANGE) length = Math.max(0, Math.min(end, (await fh.stat()).size) - start)
      const buf = new Uint8Array(length)
      let read = 0
      while (read < length) {
        const { bytesRead } = await fh.read(buf, read, length - read, start + read)
        if (bytesRead === 0) break
        read += bytesRead
      }
      return read === length ? buf : buf.subarray(0, read)
    } catch (e) {
      throw this.translate(e, key)
    } finally {
      await fh?.close()
    }
  }

  async putIfAbsent(key: string, data: Uint8Array): Promise<boolean> {
    const target = this.abs(key)
    const dir = path.dirname(target)
    // A commit that lost its race is retried at the next version with the same bytes: link the
    // temp file already written and fsynced for it instead of writing and syncing another.
    let tmp = this.takeSpare(dir, data)
    if (tmp) {
      try {
        await this.flushed()
      } catch (e) {
        await fs.unlink(tmp).catch(() => {})
        throw e
      }
      try {
        await fs.link(tmp, target)
        await syncDir(dir)
        await fs.unlink(tmp).catch(() => {})
        return true
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
          this.keepSpare(dir, data, tmp)
          return false
        }
        await fs.unlink(tmp).catch(() => {}) // any other failure (the temp file gone): write afresh
      }
    }
    // The commit's own temp file is written and fsynced while the data files it names finish
    // flushing (one fsync latency, not two, before the link publishes it).
    const writing = this.writeTemp(target, data)
    writing.catch(() => {}) // seen below; a quick failure must not surface as an unhandled rejection meanwhile
    try {
      await this.flushed()
    } catch (e) {
      await writing.then((t) => fs.unlink(t).catch(() => {}), () => {})
      throw e
    }
    tmp = await writing
    try {
      await fs.link(tmp, target)
      await syncDir(dir)
      return true
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code === 'EEXIST') {
        this.keepSpare(dir, data, tmp)
        tmp = '' // kept, not unlinked
        return false
      }
      if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'EXDEV') {
        throw new StorageError(
          `the filesystem under ${this.url} does not support hard links, which lagomago needs for ` +
            `atomic commits; use a local filesystem that does (ext4, xfs, apfs, ntfs)`,
          { file: key, cause: e },
        )
      }
      throw this.translate(e, key)
    } finally {
      if (tmp) await fs.unlink(tmp).catch(() => {})
    }
  }

  /** Temp files of put-if-absent writes that lost, kept a moment for a retry of the same bytes. */
  private readonly spares: Array<{ dir: string; data: Uint8Array; tmp: string; timer: ReturnType<typeof setTimeout> }> = []

  private takeSpare(dir: string, data: Uint8Array): string | undefined {
    const i = this.spares.findIndex((s) => s.dir === dir && sameBytes(s.data, data))
    if (i < 0) return undefined
    const [s] = this.spares.splice(i, 1)
    clearTimeout(s.timer)
    return s.tmp
  }

  private keepSpare(dir: string, data: Uint8Array, tmp: string): void {
    const drop = (s: (typeof this.spares)[number]) => {
      const i = this.spares.indexOf(s)
      if (i >= 0) this.spares.splice(i, 1)
      clearTimeout(s.timer)
      void fs.unlink(s.tmp).catch(() => {})
    }
    // a copy: the caller may reuse its buffer. Unused for a second (the writer gave up, or wrote
    // other bytes), it is removed; a process that exits first leaves a dot-file temp like any crash.
    const spare = { dir, data: data.slice(), tmp, timer: setTimeout(() => drop(spare), 1000) }
    spare.timer.unref?.()
    this.spares.push(spare)
    while (this.spares.length > 8) drop(this.spares[0])
  }

  async put(key: string, data: Uint8Array, options?: PutOptions): Promise<void> {
    const target = this.abs(key)
    const durable = options?.durable ?? true
    if (durable !== true && durable !== false && durable !== 'deferred') {
      throw new InvalidArgumentError(`put ${this.url}/${key}: durable must be true, false or 'deferred', got ${JSON.stringify(durable)}`, { file: key })
    }
    if (durable === 'deferred') {
      // In place (renamed) at once, fsynced in the background: the next putIfAbsent waits for it.
      // The fsync after the rename also carries the new name on journaling filesystems. Each waiting
      // flush holds a file descriptor: a write of thousands of files waits for some to finish.
      while (this.flushing.size >= MAX_PENDING_FLUSHES) await Promise.race(this.flushing)
      const { tmp, fh } = await this.writeTempOpen(target, data)
      try {
        await fs.rename(tmp, target)
      } catch (e) {
        await fh.close().catch(() => {})
        await fs.unlink(tmp).catch(() => {})
        throw this.translate(e, key)
      }
      this.flushLater(fh, key)
      return
    }
    const tmp = await this.writeTemp(target, data, durable)
    try {
      await fs.rename(tmp, target)
    } catch (e) {
      await fs.unlink(tmp).catch(() => {})
      throw this.translate(e, key)
    }
  }

  /** fsyncs of `durable: 'deferred'` puts still running. */
  private readonly flushing = new Set<Promise<void>>()
  /** The first of them that failed. */
  private flushFailure: StorageError | undefined

  private flushLater(fh: fs.FileHandle, key: string): void {
    const p: Promise<void> = fh.sync().finally(() => fh.close().catch(() => {})).then(
      () => { this.flushing.delete(p) },
      (e: unknown) => {
        this.flushing.delete(p)
        this.flushFailure ??= new StorageError(
          `${this.url}/${key} could not be flushed to disk (${(e as Error)?.message ?? e}); no commit is made through ` +
            `this store after that: open the table again once the disk is sound`,
          { file: key, cause: e },
        )
      },
    )
    this.flushing.add(p)
  }

  /**
   * Every deferred put so far is on stable storage. After one failed, this store publishes nothing
   * more (a commit could name the file whose bytes were lost; which commit will is not known here),
   * as databases stop at a failed fsync rather than trust the page cache after it.
   */
  private async flushed(): Promise<void> {
    if (this.flushing.size) await Promise.all(this.flushing)
    if (this.flushFailure) throw this.flushFailure
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<ObjectMeta> {
    const { startAfter, recursive = true } = options
    const slash = prefix.lastIndexOf('/')
    const dirKey = slash < 0 ? '' : prefix.slice(0, slash)
    const keys: string[] = []
    await this.walk(dirKey, recursive, keys)
    const selected = keys.filter((k) => k.startsWith(prefix) && (startAfter === undefined || k > startAfter))
    selected.sort()
    // stat in parallel batches: one at a time made listing 10,000 commits take hundreds of ms. The
    // first batches are small: a caller that stops early (log cleanup judging a log by its oldest
    // version) stats a few files, not 128.
    for (let i = 0, batch = 8; i < selected.length; i += batch, batch = Math.min(batch * 2, 128)) {
      const keys = selected.slice(i, i + batch)
      const stats = await Promise.all(keys.map((k) => fs.stat(this.abs(k)).catch(() => undefined)))
      for (let j = 0; j < keys.length; j++) {
        const st = stats[j]
        if (st) yield { key: keys[j], size: st.size, mtime: st.mtimeMs }
      }
    }
  }

  async *listStaging(): AsyncIterable<ObjectMeta> {
    const keys: string[] = []
    await this.walk('', true, keys, true)
    keys.sort()
    for (const key of keys) {
      const st = await fs.stat(this.abs(key)).catch(() => undefined)
      if (st) yield { key, size: st.size, mtime: st.mtimeMs }
    }
  }

  async head(key: string): Promise<ObjectMeta | undefined> {
    try {
      const st = await fs.stat(this.abs(key))
      return st.isFile() ? { key, size: st.size, mtime: st.mtimeMs } : undefined
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined
      throw this.translate(e, key)
    }
  }

  async delete(key: string): Promise<void> {
    const abs = this.abs(key)
    try {
      await fs.unlink(abs)
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw this.translate(e, key)
      return
    }
    await this.pruneEmptyDirs(path.dirname(abs))
  }

  /**
   * Keys have no folders on object stores: a folder a delete leaves empty goes too, up to (not
   * including) the root, as VACUUM removes emptied partition directories on HDFS. A writer racing
   * into a folder being removed retries its mkdir (writeTemp).
   */
  private async pruneEmptyDirs(dir: string): Promise<void> {
    while (dir.startsWith(this.root + path.sep)) {
      try {
        await fs.rmdir(dir)
      } catch {
        return // not empty (or already gone): nothing above it is empty either
      }
      dir = path.dirname(dir)
    }
  }

  /** Collect file keys under `dirKey`: regular files, or with `staging` only our temp files. */
  private async walk(dirKey: string, recursive: boolean, out: string[], staging = false): Promise<void> {
    let entries: import('node:fs').Dirent[]
    try {
      entries = await fs.readdir(dirKey ? this.abs(dirKey) : this.root, { withFileTypes: true })
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code === 'ENOENT' || code === 'ENOTDIR') return
      throw this.translate(e, dirKey)
    }
    for (const ent of entries) {
      const key = dirKey ? `${dirKey}/${ent.name}` : ent.name
      if (ent.isDirectory()) {
        if (recursive) await this.walk(key, recursive, out, staging)
      } else if (ent.isFile() && ent.name.startsWith(TEMP_PREFIX) === staging) {
        out.push(key)
      }
    }
  }

  private async writeTemp(target: string, data: Uint8Array, durable = true): Promise<string> {
    const { tmp, fh } = await this.writeTempOpen(target, data)
    let open = true
    try {
      if (durable) await fh.sync()
      open = false
      await fh.close() // (some network filesystems report a failed write only here)
      return tmp
    } catch (e) {
      if (open) await fh.close().catch(() => {})
      await fs.unlink(tmp).catch(() => {})
      throw this.translate(e, path.relative(this.root, target))
    }
  }

  /** `data` in a new temp file beside `target`, returned still open (the caller closes it). */
  private async writeTempOpen(target: string, data: Uint8Array): Promise<{ tmp: string; fh: fs.FileHandle }> {
    const dir = path.dirname(target)
    const tmp = path.join(dir, `${TEMP_PREFIX}${randomUUID()}`)
    let fh: fs.FileHandle | undefined
    try {
      // The folder usually exists: open first, make the folder only when it is missing. A concurrent
      // delete may prune it again between mkdir and open, hence the retries.
      for (let attempt = 1; ; attempt++) {
        try {
          fh = await fs.open(tmp, 'wx')
          break
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 5) throw e
        }
        await fs.mkdir(dir, { recursive: true }).catch((e: NodeJS.ErrnoException) => { if (e.code !== 'ENOENT') throw e })
      }
      let written = 0
      while (written < data.length) {
        const { bytesWritten } = await fh.write(data, written, data.length - written)
        written += bytesWritten
      }
      return { tmp, fh }
    } catch (e) {
      await fh?.close().catch(() => {})
      await fs.unlink(tmp).catch(() => {})
      throw this.translate(e, path.relative(this.root, target))
    }
  }

  private translate(e: unknown, key: string): Error {
    const code = (e as NodeJS.ErrnoException)?.code
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') {
      return new MissingFileError(`no such file ${this.url}/${key}`, { file: key, cause: e })
    }
    if (code === 'ENOSPC') return new StorageError(`disk full writing ${this.url}/${key}`, { file: key, cause: e })
    return new StorageError(`I/O error on ${this.url}/${key}: ${(e as Error)?.message ?? e}`, { file: key, cause: e })
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0
}

async function syncDir(dir: string): Promise<void> {
  // Make the new directory entry durable; not all platforms allow opening a directory.
  try {
    const fh = await fs.open(dir, 'r')
    try { await fh.sync() } finally { await fh.close() }
  } catch { /* best effort */ }
}

/** `file:/x` and `file:///x` both occur in Delta logs; Node wants the latter. */
function normaliseFileUrl(url: string): string {
  return url.replace(/^file:\/*/, 'file:///')
}
