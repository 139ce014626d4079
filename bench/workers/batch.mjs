// Shared by every job-mode worker: the CDC batch file (written by the bench, untimed) parsed into the
// same plain objects for every contender — op, id (bigint), qty, price, category, ts (Date), note —
// and the phase clock a worker prints (times from process start, `performance.now()`).
import { readFileSync } from 'node:fs'
import { peakRssMiB } from './peak-rss.mjs'

/** The batch as plain objects, as a job would get them from its input (parsing is in the timing for all). */
export function readBatch(file) {
  const raw = JSON.parse(readFileSync(file, 'utf8'))
  return raw.map(([op, id, qty, price, category, tsMicros, note]) =>
    op === 'D' ? { op, id: BigInt(id) } : { op, id: BigInt(id), qty, price, category, ts: new Date(Number(BigInt(tsMicros) / 1000n)), note })
}

/** Marks phases; `report()` prints them (ms) with anything else the worker wants the bench to see. */
export function phaseClock() {
  const phases = { boot: performance.now() }
  let last = phases.boot
  return {
    mark(name) { const t = performance.now(); phases[name] = (phases[name] ?? 0) + t - last; last = t },
    report(extra = {}) { process.stdout.write(`RESULT ${JSON.stringify({ phases, rssMiB: peakRssMiB(), cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000, ...extra })}\n`) },
  }
}
