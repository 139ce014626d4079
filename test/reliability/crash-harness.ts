// Crash harness: a child process runs a seeded workload on a local table and is SIGKILLed at a
// random moment; after every kill the table must open, hold every acknowledged commit, equal a
// model replay of exactly the ops that landed, reference no missing file, and accept a write and a
// VACUUM (retention 0) that removes the orphans. `npx tsx test/reliability/crash-harness.ts
// --trials 1000 --seed 1` runs it standalone; crash.test.ts runs a short version under vitest.
import { spawn } from 'node:child_process'
import { promises as fs, mkdirSync, mkdtempSync, readdirSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseActionLines } from '../../src/log/actions.js'
import { commitKey, padVersion } from '../../src/log/log-path.js'
import { keyOf } from '../../src/log/replay.js'
import { loadSnapshot, type Snapshot } from '../../src/log/snapshot.js'
import { isVacuumable } from '../../src/maintenance/vacuum.js'
import { dvStoreKey } from '../../src/scan/deletion-vectors.js'
import { LocalStore } from '../../src/storage/local-store.js'
import { DeltaTable } from '../../src/table/delta-table.js'
import { APP_ID, applyOp, CREATE_OPTIONS, DATA_OPS, generateOp, runOp, sortRows, type OpKind, type Row } from './crash-workload.js'
import { prng } from '../../bench/data.js' // mulberry32: the one seeded PRNG of tests and benches

const HERE = path.dirname(fileURLToPath(import.meta.url))
const REPO = path.resolve(HERE, '..', '..')

export interface CrashOptions {
  trials: number
  seed: number
  /** Trials that continue one table (crash leftovers pile up) before a fresh one. Default 10. */
  trialsPerTable?: number
  /** Ops the child is given per trial. Default 8. */
  opsPerChild?: number
  /** The kill lands this many ms (uniform) after a random number of acknowledgements. Default 80. */
  maxDelayMs?: number
  /** Where tables live (default: a fresh folder under the OS temp dir, removed at the end). */
  workDir?: string
  log?: (line: string) => void
}

export interface CrashStats {
  trials: number
  /** Trials whose child was SIGKILLed (the rest finished their ops first). */
  killed: number
  /** Op kind running when the kill landed (`idle`: between ops or before the first). */
  killedDuring: Record<string, number>
  /** Ops acknowledged by children, all checked present. */
  acknowledged: number
  /** Kills after which the in-flight op had committed without being acknowledged (applied to the model). */
  landedUnacknowledged: number
  /** Files VACUUM removed after kills (orphans of interrupted writes and expired files). */
  orphansRemoved: number
  /** `.lagomago-tmp-*` files left by kills mid-write (hidden: readers, listings and VACUUM ignore them). */
  tempFilesLeft: number
  tables: number
  failures: string[]
  ms: number
}

/** Bundle the child once (esbuild ships with tsx and vitest), so each trial starts in ~100 ms. */
async function buildChild(): Promise<string> {
  const out = path.join(REPO, 'node_modules', '.cache', 'lagomago-crash', `child-${process.pid}.mjs`)
  mkdirSync(path.dirname(out), { recursive: true })
  const esbuild = await import('esbuild')
  await esbuild.build({
    entryPoints: [path.join(HERE, 'crash-child.ts')], outfile: out, bundle: true, platform: 'node', format: 'esm',
    packages: 'external', logLevel: 'error', target: 'node20',
  })
  return out
}

interface ChildRun {
  lines: string[]
  killed: boolean
  code: number | null
  stderr: string
}

function runChild(child: string, dir: string, seed: number, start: number, count: number, killAfterAcks: number, delayMs: number): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child, dir, String(seed), String(start), String(count)], { stdio: ['ignore', 'pipe', 'pipe'], cwd: REPO })
    const lines: string[] = []
    let buf = ''
    let stderr = ''
    let acks = -1 // `ready` counts as acknowledgement 0
    let killed = false
    const arm = () => {
      setTimeout(() => { killed = proc.kill('SIGKILL') || killed }, delayMs)
    }
    proc.stdout.setEncoding('utf8')
    proc.stdout.on('data', (chunk: string) => {
      buf += chunk
      let nl: number
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl)
        buf = buf.slice(nl + 1)
        lines.push(line)
        if (line.startsWith('ready') || line.startsWith('ack')) {
          if (++acks === killAfterAcks) arm()
        }
      }
    })
    proc.stderr.setEncoding('utf8')
    proc.stderr.on('data', (c: string) => { stderr += c })
    proc.on('error', reject)
    proc.on('close', (code, signal) => {
      if (buf) lines.push(buf)
      resolve({ lines, killed: signal === 'SIGKILL', code, stderr })
    })
  })
}

const show = (rows: Row[]) => JSON.stringify(rows, (_, v) => (typeof v === 'bigint' ? v.toString() : v))

function tableRows(rows: Record<string, unknown>[]): Row[] {
  return sortRows(rows.map((r) => ({ id: r.id as bigint, p: r.p as string, v: r.v as bigint })))
}

/** Keys the snapshot needs: active data files and their DV files. */
function neededKeys(s: Snapshot): Set<string> {
  const keys = new Set<string>()
  for (const a of s.activeFiles()) {
    keys.add(s.resolvePath(a.path))
    if (a.deletionVector) {
      const k = dvStoreKey(a.deletionVector, s)
      if (k) keys.add(k)
    }
  }
  return keys
}

function countTempFiles(dir: string): number {
  let n = 0
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile() && e.name.startsWith('.lagomago-tmp-')) n++
  return n
}

interface TableState {
  dir: string
  model: Map<bigint, Row>
  nextOp: number
  trials: number
  tempFiles: number
}

export async function runCrashTrials(opts: CrashOptions): Promise<CrashStats> {
  const started = Date.now()
  const log = opts.log ?? (() => {})
  const perTable = opts.trialsPerTable ?? 10
  const opsPerChild = opts.opsPerChild ?? 8
  const maxDelay = opts.maxDelayMs ?? 80
  const ownDir = opts.workDir === undefined
  const root = opts.workDir ?? mkdtempSync(path.join(os.tmpdir(), 'lagomago-crash-'))
  const child = await buildChild()
  const rnd = prng(opts.seed * 7919 + 17)
  const stats: CrashStats = { trials: 0, killed: 0, killedDuring: {}, acknowledged: 0, landedUnacknowledged: 0, orphansRemoved: 0, tempFilesLeft: 0, tables: 0, failures: [], ms: 0 }
  let state: TableState | undefined
  try {
    for (let trial = 0; trial < opts.trials; trial++) {
      if (!state || state.trials >= perTable) {
        const dir = path.join(root, `t${stats.tables++}`)
        await DeltaTable.create(dir, CREATE_OPTIONS)
        state = { dir, model: new Map(), nextOp: 0, trials: 0, tempFiles: 0 }
      }
      state.trials++
      stats.trials++
      const killAfter = Math.floor(rnd() * opsPerChild)
      const delay = Math.floor(rnd() * maxDelay)
      const run = await runChild(child, state.dir, opts.seed, state.nextOp, opsPerChild, killAfter, delay)
      try {
        await verifyTrial(state, run, opts.seed, stats)
      } catch (e) {
        const msg = `trial ${trial} (table ${state.dir}, ops from ${state.nextOp}, kill after ${killAfter} acks + ${delay} ms): ${e instanceof Error ? e.stack ?? e.message : String(e)}`
        stats.failures.push(msg)
        log(`FAIL ${msg}`)
        state = undefined // keep the damaged table for inspection; continue on a fresh one
      }
      if ((trial + 1) % 50 === 0) log(`${trial + 1} trials, ${stats.killed} killed, ${stats.failures.length} failures, ${Math.round((Date.now() - started) / 1000)} s`)
    }
  } finally {
    await fs.rm(child, { force: true })
    if (ownDir && stats.failures.length === 0) await fs.rm(root, { recursive: true, force: true })
  }
  stats.ms = Date.now() - started
  return stats
}

async function verifyTrial(state: TableState, run: ChildRun, seed: number, stats: CrashStats): Promise<void> {
  if (!run.killed && run.code !== 0) throw new Error(`child failed (exit ${run.code}): ${run.stderr}`)
  if (run.killed) stats.killed++
  const store = new LocalStore(state.dir)

  // 1. The table opens.
  const t = await DeltaTable.open(state.dir)

  // 2. Every acknowledged op is in the log: data ops as a commit carrying their txn.
  let prevVersion = -1
  let lastAcked = state.nextOp - 1
  let inFlight: { index: number; kind: OpKind } | undefined
  for (const line of run.lines) {
    const [tag, a, b, kind] = line.split(' ')
    if (tag === 'ready') prevVersion = Number(a)
    else if (tag === 'start') inFlight = { index: Number(a), kind: b as OpKind }
    else if (tag === 'ack') {
      const index = Number(a)
      const version = Number(b)
      stats.acknowledged++
      inFlight = undefined
      lastAcked = index
      if (version > t.version) throw new Error(`op ${index} (${kind}) was acknowledged at version ${version}, but the table is at ${t.version}`)
      if (DATA_OPS.has(kind as OpKind) && version !== prevVersion) {
        const actions = parseActionLines(new TextDecoder().decode(await store.get(commitKey(version))))
        const txn = actions.find((x) => 'txn' in x && x.txn.appId === APP_ID)
        if (!txn || !('txn' in txn) || txn.txn.version !== index) throw new Error(`commit ${version} does not hold acknowledged op ${index} (${kind})`)
      }
      if (kind === 'checkpoint' && !(await store.head(`_delta_log/${padVersion(version)}.checkpoint.parquet`))) {
        throw new Error(`acknowledged checkpoint of version ${version} is missing`)
      }
      if (version >= 0) prevVersion = version
    }
  }
  stats.killedDuring[run.killed ? inFlight?.kind ?? 'idle' : 'none'] = (stats.killedDuring[run.killed ? inFlight?.kind ?? 'idle' : 'none'] ?? 0) + 1

  // 3. The model: every acknowledged op, plus the in-flight one if the log shows it landed.
  const landed = t.txns.get(APP_ID) ?? -1
  for (let i = state.nextOp; i <= lastAcked; i++) applyOp(state.model, generateOp(seed, i))
  let last = lastAcked
  if (landed > lastAcked) {
    if (!inFlight || landed !== inFlight.index) throw new Error(`txn ${APP_ID} is at op ${landed}, but op ${inFlight?.index ?? 'none'} was the one in flight (last acknowledged ${lastAcked})`)
    applyOp(state.model, generateOp(seed, landed))
    stats.landedUnacknowledged++
    last = landed
  }
  await checkTable(t, state, 'after the kill')

  // 4. No commit references a missing file; the checkpoint path and a JSON-only replay agree.
  const jsonOnly = await loadSnapshot(store, { jsonOnly: true })
  const fast = [...t.snapshot.activeFiles()].map(keyOf).sort()
  const slow = [...jsonOnly.activeFiles()].map(keyOf).sort()
  if (JSON.stringify(fast) !== JSON.stringify(slow)) throw new Error(`checkpoint replay and JSON replay disagree at version ${t.version}`)

  // 5. A following write and VACUUM (retention 0) succeed and remove the orphans.
  const follow = generateOp(seed, last + 1, 'append')
  await runOp(t, follow)
  applyOp(state.model, follow)
  const vac = await t.vacuum({ retentionHours: 0, enforceRetentionDuration: false })
  stats.orphansRemoved += vac.filesDeleted.length
  const needed = neededKeys(t.snapshot)
  for await (const meta of store.list('')) {
    if (isVacuumable(meta.key, t.partitionColumns) && !needed.has(meta.key)) throw new Error(`orphan ${meta.key} survived VACUUM`)
  }
  const temps = countTempFiles(state.dir)
  stats.tempFilesLeft += temps - state.tempFiles
  state.tempFiles = temps
  await checkTable(t, state, 'after the following write and VACUUM')
  state.nextOp = last + 2
}

/** Rows equal the model and every file the snapshot needs exists. */
async function checkTable(t: DeltaTable, state: TableState, when: string): Promise<void> {
  const fresh = await DeltaTable.open(state.dir)
  const rows = tableRows(await fresh.toRows())
  const expected = sortRows([...state.model.values()])
  if (show(rows) !== show(expected)) {
    throw new Error(`rows ${when} differ from the model at version ${fresh.version}: ${rows.length} rows vs ${expected.length} expected\n got ${show(rows).slice(0, 600)}\n want ${show(expected).slice(0, 600)}`)
  }
  for (const key of neededKeys(fresh.snapshot)) {
    if (!(await fresh.store.head(key))) throw new Error(`version ${fresh.version} references missing file ${key} (${when})`)
  }
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : fallback
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const trials = arg('trials', 1000)
  const seed = arg('seed', 1)
  runCrashTrials({ trials, seed, trialsPerTable: arg('per-table', 10), opsPerChild: arg('ops', 8), maxDelayMs: arg('max-delay', 80), log: (l) => console.log(l) })
    .then((s) => {
      console.log(JSON.stringify({ ...s, failures: s.failures.length }, null, 2))
      for (const f of s.failures) console.log(`\n${f}`)
      process.exit(s.failures.length ? 1 : 0)
    })
    .catch((e) => { console.error(e); process.exit(2) })
}
