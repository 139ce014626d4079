// The checkpoint lock under races: two queries starting at once (same process, or two processes),
// several queries taking over a dead owner's lock at once. Exactly one wins each time; the others
// get ConcurrentTransactionError; the lock is never seen half-written.
import { spawn, spawnSync } from 'node:child_process'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ConcurrentTransactionError } from '../../src/index.js'
import { lockCheckpoint } from '../../src/medallion/checkpoint-lock.js'
import { StreamingQuery, type StreamSource } from '../../src/medallion/stream.js'

let dir: string
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'lagomago-lock-')) })
afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

/** How many of `tries` took the lock; the others must have been refused with the typed error. */
async function race(tries: Promise<() => Promise<void>>[]): Promise<number> {
  const settled = await Promise.allSettled(tries)
  let won = 0
  for (const s of settled) {
    if (s.status === 'fulfilled') won++
    else expect(s.reason).toBeInstanceOf(ConcurrentTransactionError)
  }
  for (const s of settled) if (s.status === 'fulfilled') await s.value()
  return won
}

const deadPid = (): number => spawnSync(process.execPath, ['-e', '0']).pid!

describe('checkpoint lock', () => {
  it('two queries locking at once in one process: exactly one wins, every time', async () => {
    for (let i = 0; i < 150; i++) {
      const loc = join(dir, `cp${i}`)
      await mkdir(loc)
      expect(await race([lockCheckpoint(loc), lockCheckpoint(loc)])).toBe(1)
      expect(await readdir(loc)).toEqual([]) // released, no temp files left
    }
  })

  it('several queries taking over a dead owner\'s lock at once: exactly one wins', async () => {
    const pid = deadPid()
    for (let i = 0; i < 60; i++) {
      const loc = join(dir, `cp${i}`)
      await mkdir(loc)
      await writeFile(join(loc, 'lock'), JSON.stringify({ pid, host: hostname(), since: 'then' }))
      expect(await race([lockCheckpoint(loc), lockCheckpoint(loc), lockCheckpoint(loc)])).toBe(1)
      expect(await readdir(loc)).toEqual([])
    }
  })

  it('a live owner, another host or an unreadable lock file is refused, and the file is left alone', async () => {
    const loc = join(dir, 'cp')
    await mkdir(loc)
    const release = await lockCheckpoint(loc)
    await expect(lockCheckpoint(loc)).rejects.toThrow(ConcurrentTransactionError)
    await release()
    for (const text of [JSON.stringify({ pid: process.ppid, host: hostname() }), JSON.stringify({ pid: 1, host: `not-${hostname()}` }), '']) {
      await writeFile(join(loc, 'lock'), text)
      await expect(lockCheckpoint(loc)).rejects.toThrow(/is in use by another streaming query/)
      expect(await readdir(loc)).toEqual(['lock'])
    }
  })

  it('two processes starting at the same instant: exactly one holds the lock', async () => {
    // the winner holds the lock until both have said how they fared, however late the other starts
    const script = `
      import { existsSync } from 'node:fs'
      import { lockCheckpoint } from ${JSON.stringify(join(import.meta.dirname, '..', '..', 'src', 'medallion', 'checkpoint-lock.ts'))}
      const [loc, at, done] = process.argv.slice(-3)
      while (Date.now() < Number(at)) {}
      try {
        const release = await lockCheckpoint(loc)
        console.log('won')
        while (!existsSync(done)) await new Promise((r) => setTimeout(r, 20))
        await release()
      } catch (e) { console.log(e.name) }`
    const file = join(dir, 'child.mts')
    await writeFile(file, script)
    for (let i = 0; i < 4; i++) {
      const loc = join(dir, `p${i}`)
      const done = join(dir, `done${i}`)
      await mkdir(loc)
      const at = String(Date.now() + 1500) // both children loaded by then, on an idle machine
      let said = 0
      const run = (): Promise<string> => new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', file, loc, at, done], { stdio: ['ignore', 'pipe', 'inherit'] })
        let out = ''
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString()
          if (++said === 2) void writeFile(done, '')
        })
        child.on('error', reject)
        child.on('exit', () => resolve(out.trim()))
      })
      const outs = await Promise.all([run(), run()])
      expect(outs.sort()).toEqual(['ConcurrentTransactionError', 'won'])
    }
  }, 120_000)

  it('two streaming queries started at once on one checkpoint: one runs, the other is refused', async () => {
    let reads = 0
    const source: StreamSource<number, number> = {
      describe: () => 'counter',
      recover: () => {},
      latest: async () => 3,
      planNext: async (last, bound) => ((last ?? -1) + 1 <= (bound ?? 3) ? (last ?? -1) + 1 : undefined),
      read: async (o) => { reads++; return [{ o }] },
      inputCount: () => 1,
    }
    for (let i = 0; i < 20; i++) {
      reads = 0
      const loc = join(dir, `s${i}`)
      // The winner holds the lock inside its first batch until the other query has settled (or 3 s
      // pass): without that hold, a loaded machine can run the two one after the other, which is legal.
      let settle!: () => void
      const firstSettled = new Promise<void>((r) => { settle = r })
      const hold = (): Promise<unknown> => Promise.race([firstSettled, new Promise((r) => setTimeout(r, 3000))])
      const start = (): Promise<unknown> => new StreamingQuery({ source, checkpointLocation: loc, foreachBatch: hold }).start().finally(settle)
      const settled = await Promise.allSettled([start(), start()])
      expect(settled.map((s) => s.status).sort()).toEqual(['fulfilled', 'rejected'])
      expect((settled.find((s) => s.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrentTransactionError)
      expect(reads).toBe(4) // each batch read once: the refused query ran nothing
    }
  })
})
