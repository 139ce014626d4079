// Issue 5's job: commits per second on one local table with 1, 2, 4 and 10 concurrent writer
// processes doing small appends (blind appends never conflict, but they do race for each version
// number), and how many races each commit lost before it landed.
import { spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DeltaTable } from '../../src/table/delta-table.js'
import { BENCH_SCHEMA } from '../data.js'
import type { Contender, Job } from '../harness.js'

const writerScript = join(dirname(fileURLToPath(import.meta.url)), '..', 'commit-writer.ts')

interface Ctx { dataDir: string; perWriter: number; runNo: number; dir?: string; lost: number[]; commits: number; seconds: number[] }

function runWriters(dir: string, writers: number, perWriter: number): Promise<number[]> {
  const startAt = Date.now() + 1500 // let every process load before the first commit
  return Promise.all(Array.from({ length: writers }, (_, w) => new Promise<number[]>((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', writerScript, dir, String(w), String(perWriter), String(startAt)], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    p.stdout.on('data', (d) => (out += d))
    p.on('error', reject)
    p.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim()).lostPerCommit) : reject(new Error(`writer ${w} exited ${code}`))))
  }))).then((xs) => xs.flat())
}

function contender(writers: number): Contender<Ctx> {
  return {
    name: `lagomago ${writers} writer process${writers > 1 ? 'es' : ''}`,
    async beforeEach(ctx) {
      ctx.dir = join(ctx.dataDir, `commits-${process.pid}-${ctx.runNo++}`)
      await DeltaTable.create(ctx.dir, { schema: BENCH_SCHEMA, properties: { 'delta.enableDeletionVectors': 'false' } })
    },
    // Timed: from the common start instant to the last writer's exit (process start-up is excluded
    // by the 1.5 s head start, which is subtracted).
    run: async (ctx) => {
      const t0 = performance.now()
      const lost = await runWriters(ctx.dir!, writers, ctx.perWriter)
      ctx.seconds.push((performance.now() - t0 - 1500) / 1000)
      return lost
    },
    check: async (lost, ctx) => {
      const t = await DeltaTable.open(ctx.dir!)
      const want = writers * ctx.perWriter
      if (t.version !== want) throw new Error(`table at version ${t.version}, expected ${want} commits`)
      if ((await t.toArrow({ columns: ['id'] })).numRows !== want) throw new Error('rows lost')
      ctx.lost.push(...(lost as number[]))
      ctx.commits += want
      rmSync(ctx.dir!, { recursive: true, force: true })
    },
    summary(ctx) {
      const hist = new Map<number, number>()
      for (const l of ctx.lost) hist.set(l, (hist.get(l) ?? 0) + 1)
      const dist = [...hist].sort((a, b) => a[0] - b[0]).map(([k, v]) => `${k}:${v}`).join(' ')
      const perSec = ctx.seconds.map((s) => (writers * ctx.perWriter) / s).sort((a, b) => a - b)
      const med = perSec[perSec.length >> 1]
      return `${med.toFixed(0)} commits/s (median); lost races per commit → count: ${dist}`
    },
  }
}

export const commitConcurrency: Job<Ctx> = {
  name: 'commit-concurrency',
  description: 'Small appends (one row, one commit each) to one local table from 1, 2, 4 and 10 writer processes at once, 40 commits per writer (`--quick`: 10). The ms columns include a fixed 1.5 s head start for process start-up; commits/s in the notes exclude it. Times include the commit loop\'s retries; the table is checked to hold every commit exactly once.',
  async setup({ quick, dataDir }) {
    return { dataDir, perWriter: quick ? 10 : 40, runNo: 0, lost: [], commits: 0, seconds: [] }
  },
  contenders: [contender(1), contender(2), contender(4), contender(10)],
}
