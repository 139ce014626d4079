// The bench harness: every job runs in a child process of its own (so peak RSS is the job's), the
// measured step repeats several times and we keep the median, answers are checked, and peers run in
// the same invocation so ratios compare like with like. A benchmark never fails on speed.

import { peakRssMiB } from './workers/peak-rss.mjs'

/** One contender inside a job: lagomago or a peer (DuckDB, LanceDB, raw hyparquet…). */
export interface Contender<Ctx> {
  name: string
  /** The measured step; returns a value `check` verifies. */
  run(ctx: Ctx): Promise<unknown>
  /** Throws when the answer is wrong. */
  check?(answer: unknown, ctx: Ctx): void | Promise<void>
  /** Unavailable peers (an optional dependency not installed) are reported, not failed. */
  available?(): Promise<boolean>
  /** Untimed, once after the job's setup: load the peer's own copy of the data. */
  prepare?(ctx: Ctx): Promise<void>
  /** Untimed, before every run (warm-up included): stage that run's input. */
  beforeEach?(ctx: Ctx): Promise<void>
  /** A line for the report's notes column (e.g. throughput, retry counts), after the runs. */
  summary?(ctx: Ctx): string
  /**
   * The sample's time from the answer, when the figure is a part of what `run` does (the first merge
   * inside a fresh process); by default the harness times the whole `run`.
   */
  timeOf?(answer: unknown): number
  /** The sample's peak RSS in MiB when the work ran in another process (job mode); by default this process's. */
  peakRssOf?(answer: unknown): number
  /** The sample's CPU time (ms, all threads) when the work ran in another process; by default this process's during `run`. */
  cpuOf?(answer: unknown): number
}

export interface Job<Ctx = unknown> {
  name: string
  description: string
  /** Builds the job's data (not measured). `quick` asks for a small size for smoke runs. */
  setup(opts: { quick: boolean; dataDir: string }): Promise<Ctx>
  contenders: Contender<Ctx>[]
  /** Lagomago's goal for this job, shown beside the figures, e.g. "< 100 ms". */
  goal?: string
  teardown?(ctx: Ctx): Promise<void>
}

export interface ContenderResult {
  job: string
  contender: string
  medianMs?: number
  minMs?: number
  /** Median CPU time of the runs, all threads of the process doing the work (user + system). */
  medianCpuMs?: number
  runs: number
  peakRssMiB: number
  error?: string
  note?: string
  /** The contender's own summary line. */
  detail?: string
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** Run one contender of one job in this process (called in a fresh child per contender). */
export async function runContender<Ctx>(job: Job<Ctx>, contender: Contender<Ctx>, opts: { quick: boolean; runs: number; dataDir: string }): Promise<ContenderResult> {
  if (contender.available && !(await contender.available())) {
    return { job: job.name, contender: contender.name, runs: 0, peakRssMiB: 0, note: 'not installed' }
  }
  const ctx = await job.setup({ quick: opts.quick, dataDir: opts.dataDir })
  const times: number[] = []
  const cpuTimes: number[] = []
  let peakRss = 0
  let detail: string | undefined
  try {
    await contender.prepare?.(ctx)
    // One warm-up run (JIT, file cache), checked like the others.
    await contender.beforeEach?.(ctx)
    const warm = await contender.run(ctx)
    await contender.check?.(warm, ctx)
    for (let i = 0; i < opts.runs; i++) {
      await contender.beforeEach?.(ctx)
      const c0 = process.cpuUsage()
      const t0 = performance.now()
      const answer = await contender.run(ctx)
      const ms = performance.now() - t0
      const cpu = process.cpuUsage(c0)
      cpuTimes.push(contender.cpuOf ? contender.cpuOf(answer) : (cpu.user + cpu.system) / 1000)
      times.push(contender.timeOf ? contender.timeOf(answer) : ms)
      if (contender.peakRssOf) peakRss = Math.max(peakRss, contender.peakRssOf(answer))
      await contender.check?.(answer, ctx)
    }
    detail = contender.summary?.(ctx)
  } finally {
    await job.teardown?.(ctx)
  }
  return {
    detail,
    job: job.name,
    contender: contender.name,
    medianMs: median(times),
    medianCpuMs: median(cpuTimes),
    minMs: Math.min(...times),
    runs: times.length,
    peakRssMiB: contender.peakRssOf ? peakRss : peakRssMiB(),
  }
}

/**
 * Markdown table of one job's results. "CPU ms" is the process's CPU time (user + system, every
 * thread): on a shared machine it moves far less than wall time, and it counts a peer's worker threads. The one ratio convention of every report and summary: lagomago's
 * median time ÷ the contender's (the first lagomago contender's), so "0.50×" means lagomago takes half
 * the contender's time, and goals read the same way ("≤ 0.8× LanceDB").
 */
export function formatJob(job: Pick<Job, 'name' | 'description' | 'goal'>, results: ContenderResult[]): string {
  const ours = results.find((r) => r.contender.startsWith('lagomago'))
  const withNotes = results.some((r) => r.detail)
  const lines = [
    `### ${job.name}`,
    '',
    job.description + (job.goal ? ` Goal: ${job.goal}.` : ''),
    '',
    '| contender | median ms | min ms | CPU ms | runs | peak RSS MiB | lagomago ÷ contender | CPU: lagomago ÷ contender |' + (withNotes ? ' notes |' : ''),
    '|---|---:|---:|---:|---:|---:|---:|---:|' + (withNotes ? '---|' : ''),
  ]
  for (const r of results) {
    if (r.medianMs === undefined) {
      lines.push(`| ${r.contender} | – | – | – | 0 | – | ${r.error ? `error: ${r.error}` : r.note ?? ''} | – |`)
      continue
    }
    const ratio = ours?.medianMs && r.medianMs > 0 ? (ours.medianMs / r.medianMs).toFixed(2) + '×' : '–'
    const known = (x?: number) => x !== undefined && Number.isFinite(x) && x > 0
    const cpuRatio = known(ours?.medianCpuMs) && known(r.medianCpuMs) ? (ours!.medianCpuMs! / r.medianCpuMs!).toFixed(2) + '×' : '–'
    lines.push(`| ${r.contender} | ${r.medianMs.toFixed(1)} | ${r.minMs!.toFixed(1)} | ${known(r.medianCpuMs) ? r.medianCpuMs!.toFixed(1) : '–'} | ${r.runs} | ${r.peakRssMiB.toFixed(0)} | ${ratio} | ${cpuRatio} |` + (withNotes ? ` ${r.detail ?? ''} |` : ''))
  }
  return lines.join('\n')
}
