// Many writers (issues 5 and 17): commits per second on one table with 1, 2, 4 and 10 concurrent
// writer processes doing small blind appends (they never conflict, but they race for each version
// number), how many races each commit lost before it landed, and how many checkpoints the writers
// wrote between them. On a local folder and on S3 (the RGW test server of `.tmp/servers.env`; the S3
// contenders report "not installed" without it). The writers run lagomago from dist/ as users do
// (bench/workers/commit-writer.mjs); `--baseline DIR` runs that checkout's dist/ too, interleaved
// contender by contender. Start-up is outside the timing by a barrier: every writer reports ready
// (imported, warmed up, table open), then all are released at once; the time runs from the release
// to the last writer's last commit.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DeltaTable } from '../../src/table/delta-table.js'
import { S3Store } from '../../src/storage/s3-store.js'
import type { ObjectStore } from '../../src/storage/object-store.js'
import { BENCH_SCHEMA } from '../data.js'
import type { Contender, Job } from '../harness.js'
import { ensureBuilt } from './process.js'

const here = dirname(fileURLToPath(import.meta.url))
const writerScript = join(here, '..', 'workers', 'commit-writer.mjs')
const thisRoot = join(here, '..', '..')
const baseline = process.env.BENCH_BASELINE
/** `BENCH_WRITER_PROFILE=<dir>`: each writer saves a CPU profile of its commit loop there. */
const profileDir = process.env.BENCH_WRITER_PROFILE

export type StoreSpec = { kind: 'local'; dir: string } | { kind: 's3'; bucket: string; prefix: string; endpoint: string; region: string; accessKeyId: string; secretAccessKey: string }

/** Row `i` of writer `w`: ids are unique per writer and commit, so the final table can be checked by value. */
const rowId = (w: number, i: number): bigint => BigInt(w * 1_000_000 + i)

interface Ctx {
  dataDir: string; perWriter: number; runNo: number; spec?: StoreSpec; warm: StoreSpec[]
  lost: number[][]; seconds: number[]; checkpoints: number[]
}
/** One run: commit phase (release → last writer's last commit), lost races per commit, CPU of the commit loops. */
interface Answer { ms: number; lost: number[]; cpuMs: number }

/** The S3 test server (`.tmp/servers.env`, written by test/servers/start.sh), if running. */
function s3Server(): Omit<Extract<StoreSpec, { kind: 's3' }>, 'kind' | 'prefix'> | undefined {
  const file = join(thisRoot, '.tmp', 'servers.env')
  if (!existsSync(file)) return undefined
  const env = Object.fromEntries(readFileSync(file, 'utf8').split('\n').map((l) => /^([A-Z0-9_]+)=(.*)$/.exec(l.trim())).filter((m) => m).map((m) => [m![1], m![2]]))
  if (!env.LAGOMAGO_TEST_S3_ENDPOINT) return undefined
  return { bucket: 'lagomago-test', endpoint: env.LAGOMAGO_TEST_S3_ENDPOINT, region: env.LAGOMAGO_TEST_S3_REGION ?? 'us-east-1', accessKeyId: env.LAGOMAGO_TEST_S3_ACCESS_KEY_ID ?? '', secretAccessKey: env.LAGOMAGO_TEST_S3_SECRET_ACCESS_KEY ?? '' }
}

function storeOf(spec: StoreSpec): string | ObjectStore {
  return spec.kind === 'local' ? spec.dir : new S3Store({ bucket: spec.bucket, prefix: spec.prefix, endpoint: spec.endpoint, region: spec.region, credentials: { accessKeyId: spec.accessKeyId, secretAccessKey: spec.secretAccessKey } })
}

async function removeTable(spec: StoreSpec): Promise<void> {
  if (spec.kind === 'local') return rmSync(spec.dir, { recursive: true, force: true })
  const s = storeOf(spec) as S3Store
  for await (const o of s.list('')) await s.delete(o.key)
}

/**
 * Start `writers` writer processes, wait until every one is ready (imported, warmed up, table open),
 * release them all at once and time from the release to the last `RESULT` line (a writer prints it
 * right after its last commit). `entry`: a baseline build's dist/index.js.
 */
function runWriters(spec: StoreSpec, warm: StoreSpec[], writers: number, perWriter: number, entry: string | undefined, runNo: number): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    const env = entry ? { ...process.env, LAGOMAGO_IMPORT: entry } : process.env
    const procs: ChildProcessWithoutNullStreams[] = []
    const results: Array<{ lostPerCommit: number[]; cpuMs: number }> = []
    let ready = 0
    let closed = 0
    let releasedAt = 0
    let lastAt = 0
    let failed = false
    const fail = (e: Error) => {
      if (failed) return
      failed = true
      for (const p of procs) p.kill()
      reject(e)
    }
    for (let w = 0; w < writers; w++) {
      const profile = profileDir ? [join(profileDir, `writers-${writers}-run-${runNo}-writer-${w}.cpuprofile`)] : []
      const p = spawn(process.execPath, [writerScript, JSON.stringify(spec), JSON.stringify(warm[w]), JSON.stringify(BENCH_SCHEMA), String(perWriter), String(rowId(w, 0)), ...profile],
        { cwd: thisRoot, stdio: ['pipe', 'pipe', 'pipe'], env })
      procs.push(p)
      let out = ''
      let err = ''
      let done = false
      p.stderr.on('data', (d) => { err += d; process.stderr.write(d) })
      p.stdout.on('data', (d) => {
        out += d
        for (let nl = out.indexOf('\n'); nl >= 0; nl = out.indexOf('\n')) {
          const line = out.slice(0, nl)
          out = out.slice(nl + 1)
          if (line === 'READY' && ++ready === writers) {
            releasedAt = performance.now()
            for (const q of procs) q.stdin.end('GO\n')
          } else if (line.startsWith('RESULT ')) {
            done = true
            results.push(JSON.parse(line.slice(7)))
            if (results.length === writers) lastAt = performance.now()
          }
        }
      })
      p.on('error', fail)
      p.stdin.on('error', () => {}) // a writer that died before the release: reported by 'close'
      p.on('close', (code) => {
        if (code !== 0 || !done) return fail(new Error(`writer ${w} exited with ${code}${done ? '' : ' before its result'}: ${err.trim().split('\n').slice(-3).join(' / ')}`))
        // every writer gone (its profile written): the next run starts on a quiet machine
        if (++closed === writers && !failed) resolve({ ms: lastAt - releasedAt, lost: results.flatMap((r) => r.lostPerCommit), cpuMs: results.reduce((s, r) => s + r.cpuMs, 0) })
      })
    }
  })
}

function contender(store: 'local' | 's3', writers: number, entry?: string, label = 'lagomago'): Contender<Ctx> {
  const server = store === 's3' ? s3Server() : undefined
  return {
    name: `${label} ${store}, ${writers} writer process${writers > 1 ? 'es' : ''}`,
    available: async () => store === 'local' || server !== undefined,
    async prepare() {
      if (server) await (storeOf({ kind: 's3', ...server, prefix: '' }) as S3Store).createBucket()
      if (profileDir) mkdirSync(profileDir, { recursive: true })
    },
    async beforeEach(ctx) {
      const name = `commits-${process.pid}-${ctx.runNo++}`
      const at = (suffix: string): StoreSpec => store === 'local' ? { kind: 'local', dir: join(ctx.dataDir, name + suffix) } : { kind: 's3', ...server!, prefix: `bench/${name}${suffix}-${Date.now().toString(36)}` }
      ctx.spec = at('')
      // each writer's scratch table for its warm-up commits (it creates it)
      ctx.warm = Array.from({ length: writers }, (_, w) => at(`-warm-${w}`))
      await DeltaTable.create(storeOf(ctx.spec), { schema: BENCH_SCHEMA, properties: { 'delta.enableDeletionVectors': 'false' } })
    },
    // Timed inside run (timeOf): from the release of the ready writers to the last writer's last commit.
    run: async (ctx) => {
      const answer = await runWriters(ctx.spec!, ctx.warm, writers, ctx.perWriter, entry, ctx.runNo)
      ctx.seconds.push(answer.ms / 1000)
      return answer
    },
    timeOf: (answer) => (answer as Answer).ms,
    cpuOf: (answer) => (answer as Answer).cpuMs,
    // By value: every writer's rows exactly once, and one commit per append (none lost, none doubled).
    check: async (answer, ctx) => {
      const s = storeOf(ctx.spec!)
      const t = await DeltaTable.open(s)
      const want = writers * ctx.perWriter
      if (t.version !== want) throw new Error(`table at version ${t.version}, expected ${want} commits`)
      const ids = (await t.toArrow({ columns: ['id'] })).getChild('id')!.toArray() as BigInt64Array
      const expected = new Set<bigint>()
      for (let w = 0; w < writers; w++) for (let i = 0; i < ctx.perWriter; i++) expected.add(rowId(w, i))
      const seen = new Set<bigint>()
      for (const id of ids) {
        if (!expected.has(id)) throw new Error(`unexpected row id ${id}`)
        if (seen.has(id)) throw new Error(`row id ${id} committed twice`)
        seen.add(id)
      }
      if (seen.size !== expected.size) throw new Error(`${expected.size - seen.size} rows lost`)
      // How many checkpoint files the writers wrote between them (one per 10 commits is the need).
      let checkpoints = 0
      for await (const o of t.store.list('_delta_log/')) if (o.key.endsWith('.checkpoint.parquet')) checkpoints++
      ctx.checkpoints.push(checkpoints)
      ctx.lost.push((answer as Answer).lost)
      for (const spec of [ctx.spec!, ...ctx.warm]) await removeTable(spec)
    },
    summary(ctx) {
      // the harness's warm-up run is the first sample: leave it out when there are others
      const measured = <T>(xs: T[]): T[] => (xs.length > 1 ? xs.slice(1) : xs)
      const lost = measured(ctx.lost).flat()
      const perSec = measured(ctx.seconds).map((s) => (writers * ctx.perWriter) / s).sort((a, b) => a - b)
      const med = perSec[perSec.length >> 1]
      const mean = lost.reduce((s, x) => s + x, 0) / lost.length
      const cps = measured(ctx.checkpoints).sort((a, b) => a - b)
      return `${med.toFixed(0)} commits/s (median); lost races per commit: mean ${mean.toFixed(2)}, max ${Math.max(...lost)}; checkpoints written per run (median): ${cps[cps.length >> 1]}`
    },
  }
}

const WRITERS = [1, 2, 4, 10]

function contenders(store: 'local' | 's3'): Contender<Ctx>[] {
  // interleaved: this checkout and the baseline at each writer count, side by side
  return WRITERS.flatMap((n) => [contender(store, n), ...(baseline ? [contender(store, n, join(baseline, 'dist', 'index.js'), `baseline (${baseline})`)] : [])])
}

function job(store: 'local' | 's3', perWriter: number): Job<Ctx> {
  const where = store === 'local' ? 'one local table' : 'one table on S3 (Ceph RGW on loopback)'
  return {
    name: store === 'local' ? 'commit-concurrency' : 'commit-concurrency-s3',
    description: `Small blind appends (one row, one commit each) to ${where} from 1, 2, 4 and 10 writer processes at once, ${perWriter} commits per writer (\`--quick\`: 10). Each writer runs lagomago from dist/ (\`node\`, as users run it), warms up on a scratch table of its own (10 commits), opens the shared table and reports ready; all are released at once when every one is ready. The ms columns and commits/s time the commit phase: from the release to the last writer's last commit (process start-up, warm-up and open excluded). CPU ms is the writers' own over their commit loops (summed). Times include the commit loop's retries and each writer's post-commit work (checksum, checkpoints, log cleanup); the table is checked by value to hold every writer's rows exactly once, one commit per append.`,
    goal: store === 'local' ? '10 writers ≥ 0.8× the single writer\'s commits/s' : undefined,
    async setup({ quick, dataDir }) {
      ensureBuilt()
      return { dataDir, perWriter: quick ? 10 : perWriter, runNo: 0, warm: [], lost: [], seconds: [], checkpoints: [] }
    },
    contenders: contenders(store),
  }
}

export const commitConcurrency: Job<Ctx> = job('local', 40)
export const commitConcurrencyS3: Job<Ctx> = job('s3', 20)
