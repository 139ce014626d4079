// The checkpoint's `lock` file: one streaming query at a time owns a checkpoint location (two would
// plan the same batch id over different files, and the txn id would then skip one of them).
// The lock appears atomically with its content (written to a temp file, then hard-linked to `lock`:
// link fails with EEXIST when another query won, as LocalStore commits do), so a reader never sees a
// lock without its owner. A lock whose owner died on this host is taken over, and that takeover is
// itself exclusive: a `lock.takeover-<hash of the dead lock>` file created with link decides which
// of several racing queries may remove the dead lock.
import { createHash, randomUUID } from 'node:crypto'
import { link, readFile, unlink, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { ConcurrentTransactionError } from '../index.js'

interface LockOwner { pid?: number; host?: string; since?: string; nonce?: string }

/** Locks this process holds (a lock naming our pid but absent here was left by an earlier process with our pid). */
const held = new Set<string>()

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Create `path` holding `data`, atomically; false when it exists. */
async function createWhole(path: string, data: string): Promise<boolean> {
  const tmp = `${path}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`
  await writeFile(tmp, data)
  try {
    await link(tmp, path)
    return true
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw e
  } finally {
    await unlink(tmp).catch(() => {})
  }
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw e
  }
}

/**
 * Take the checkpoint's lock, or throw ConcurrentTransactionError when a live query holds it (this
 * process, another one on this host, or any lock from another host: its owner cannot be checked).
 * Returns the release function.
 */
export async function lockCheckpoint(location: string): Promise<() => Promise<void>> {
  const path = join(location, 'lock')
  const mine = JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString(), nonce: randomUUID() })
  const inUse = (why: string): ConcurrentTransactionError =>
    new ConcurrentTransactionError(`checkpoint ${location} is in use by another streaming query (${why}); remove ${path} if that query is gone`, { file: path })
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await createWhole(path, mine)) {
      held.add(path)
      return async () => {
        held.delete(path)
        // only our own lock: never one a later query took over
        if ((await readText(path).catch(() => undefined)) === mine) await unlink(path).catch(() => {})
      }
    }
    const text = await readText(path)
    if (text === undefined) continue // released meanwhile
    let owner: LockOwner
    try {
      owner = JSON.parse(text) as LockOwner
    } catch {
      // locks are written whole, so this is no lock of ours in progress: refuse rather than guess
      throw inUse(`unreadable lock file ${JSON.stringify(text.slice(0, 40))}`)
    }
    const who = `pid ${owner.pid} on ${owner.host}`
    if (owner.host !== hostname() || typeof owner.pid !== 'number') throw inUse(who)
    if (owner.pid === process.pid ? held.has(path) : alive(owner.pid)) throw inUse(who)
    // The owner is dead: whoever creates the takeover marker for this exact lock removes it. No one
    // can recreate a lock with the same content (each holds a fresh nonce), so the check is sound.
    const marker = `${path}.takeover-${createHash('sha256').update(text).digest('hex').slice(0, 16)}`
    if (await createWhole(marker, mine)) {
      if ((await readText(path)) === text) await unlink(path).catch(() => {})
      await unlink(marker).catch(() => {})
    } else {
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 20)) // another query is taking it over
    }
  }
  throw inUse('could not take the lock')
}
