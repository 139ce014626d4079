// Run a TypeScript script in a child Node process (through tsx) and collect what it prints, one JSON
// value per line: the writer processes of the multi-process stress tests.
import { spawn } from 'node:child_process'

/** The child's stdout lines parsed as JSON; rejects with its stderr when it exits non-zero. `nodeArgs`: flags for node (a heap limit). */
export function runJsonLinesChild<T>(script: string, args: string[], label: string, nodeArgs: string[] = []): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => { out += d.toString() })
    child.stderr.on('data', (d: Buffer) => { err += d.toString() })
    child.on('error', reject)
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`${label} exited with ${code}: ${err.slice(0, 4000)}`))
      else resolve(out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as T))
    })
  })
}
