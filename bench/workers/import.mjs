// Job-mode worker: import the given specifiers in order (a fresh process each sample) and exit.
// `node import.mjs lagomago lagomago/cloud`. Prints the time of each import from inside.
import { phaseClock } from './batch.mjs'

const clock = phaseClock()
const exports = []
for (const spec of process.argv.slice(2)) {
  exports.push(Object.keys(await import(spec)).length)
  clock.mark(spec)
}
clock.report({ exports })
