// Many writers (issues 5 and 17): commits per second on one table with 1, 2, 4 and 10 concurrent
// writer processes doing small blind appends (they never conflict, but they race for each version
// number), how many races each commit lost before it landed, and how many checkpoints the writers
// wrote between them. On a local folder and on S3 (the RGW test server of `.tmp/servers.env`; the S3
// contenders report "not installed" without it). `--baseline DIR` runs that checkout's writers too
// (its `src/` through tsx, like this checkout's), interleaved contender by contender.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DeltaTable } from '../../src/table/delta-table.js'
import { S3Store } from '../../src/storage/s3-store.js'
import type { ObjectStore } from '../../src/storage/object-store.js'
import { BENCH_SCHEMA } from '../data.js'
import { rowId, type StoreSpec } from '../commit-writer.js'
import type { Contender, Job } from '../harness.js'

const here = dirname(fileURLToPath(import.meta.url))
const writerScript = join(here, '..', 'commit-writer.ts')
const thisRoot = join(here, '..', '..')
const baseline = process.env.BENCH_BASELINE
const HEAD_START_MS = 1500 // let every process load before the first commit

interface Ctx {
  dataDir: string; perWriter: number; runNo: number; spec?: StoreSpec
  lost: number[][]; seconds: number[]; checkpoints: number[]
}
interface Answer { lost: number[]; cpuMs: number }

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

function runWriters(root: string, spec: StoreSpec, writers: number, perWriter: number): Promise<Answer> {
  const startAt = Date.now() + HEAD_START_MS
  return Promise.all(Array.from({ length: writers }, (_, w) => new Promise<Answer>((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', writerScript, root, JSON.stringify(spec), String(w), String(perWriter), String(startAt)], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    p.stdout.on('data', (d) => (out += d))
    p.on('error', reject)
    p.on('close', (code) => {
      if (code !== 0) return reject(new Error(`writer ${w} exited ${code}`))
      const r = JSON.parse(out.trim()) as { lostPerCommit: number[]; cpuMs: number }
      resolve({ lost: r.lostPerCommit, cpuMs: r.cpuMs })
    })
  }))).then((xs) => ({ lost: xs.flatMap((x) => x.lost), cpuMs: xs.reduce((s, x) => s + x.cpuMs, 0) }))
}

function contender(store: 'local' | 's3', writers: number, root = thisRoot, label = 'lagomago'): Contender<Ctx> {
  const server = store === 's3' ? s3Server() : undefined
  return {
    name: `${label} ${store}, ${writers} writer process${writers > 1 ? 'es' : ''}`,
    available: async () => store === 'local' || server !== undefined,
    async prepare() {
      if (server) await (storeOf({ kind: 's3', ...server, prefix: '' }) as S3Store).createBucket()
    },
    async beforeEach(ctx) {
      const name = `commits-${process.pid}-${ctx.runNo++}`
      ctx.spec = store === 'local' ? { kind: 'local', dir: join(ctx.dataDir, name) } : { kind: 's3', ...server!, prefix: `bench/${name}-${Date.now().toString(36)}` }
      await DeltaTable.create(storeOf(ctx.spec), { schema: BENCH_SCHEMA, properties: { 'delta.enableDeletionVectors': 'false' } })
    },
    // Timed: from the common start instant to the last writer's exit (process start-up is excluded
    // by the head start, which is subtracted).
    run: async (ctx) => {
      const t0 = performance.now()
      const answer = await runWriters(root, ctx.spec!, writers, ctx.perWriter)
      ctx.seconds.push((performance.now() - t0 - HEAD_START_MS) / 1000)
      return answer
    },
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
      if (ctx.spec!.kind === 'local') rmSync(ctx.spec!.dir, { recursive: true, force: true })
      else for await (const o of t.store.list('')) await t.store.delete(o.key)
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
  return WRITERS.flatMap((n) => [contender(store, n), ...(baseline ? [contender(store, n, baseline, `baseline (${baseline})`)] : [])])
}

function job(store: 'local' | 's3', perWriter: number): Job<Ctx> {
  const where = store === 'local' ? 'one local table' : 'one table on S3 (Ceph RGW on loopback)'
  return {
    name: store === 'local' ? 'commit-concurrency' : 'commit-concurrency-s3',
    description: `Small blind appends (one row, one commit each) to ${where} from 1, 2, 4 and 10 writer processes at once, ${perWriter} commits per writer (\`--quick\`: 10). The ms columns include a fixed ${HEAD_START_MS / 1000} s head start for process start-up; commits/s in the notes exclude it. CPU ms is the writers' own (summed). Times include the commit loop's retries and each writer's post-commit work (checksum, checkpoints); the table is checked by value to hold every writer's rows exactly once, one commit per append.`,
    goal: store === 'local' ? '10 writers ≥ 0.8× the single writer\'s commits/s' : undefined,
    async setup({ quick, dataDir }) {
      return { dataDir, perWriter: quick ? 10 : perWriter, runNo: 0, lost: [], seconds: [], checkpoints: [] }
    },
    contenders: contenders(store),
  }
}

export const commitConcurrency: Job<Ctx> = job('local', 40)
export const commitConcurrencyS3: Job<Ctx> = job('s3', 20)
