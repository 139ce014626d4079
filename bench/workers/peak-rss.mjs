// A process's own peak RSS in MiB. On Linux, getrusage's ru_maxrss (process.resourceUsage().maxRSS)
// keeps the high-water mark across fork and exec, so a worker spawned by a large bench process
// reports at least the parent's size at the spawn (a child of a 640 MiB process said 604 MiB, the
// same child alone 39 MiB). /proc/self/status's VmHWM belongs to the process's own address space,
// new at exec; elsewhere, ru_maxrss.
import { readFileSync } from 'node:fs'

/** Peak resident set size of this process since its exec, in MiB. */
export function peakRssMiB() {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))
    if (m) return Number(m[1]) / 1024
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024
}
