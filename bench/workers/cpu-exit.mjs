// Preloaded into every node process of a CLI job (NODE_OPTIONS=--import): prints the process's CPU
// time (user + system, all threads) to stderr as it exits, so a job can sum the CPU of npx and the
// bin it starts. `CPU_MS <ms>` lines are read by bench/jobs/process.ts.
process.on('exit', () => {
  const c = process.cpuUsage()
  process.stderr.write(`\nCPU_MS ${(c.user + c.system) / 1000}\n`)
})
