// Whether a module runs as the program (directly, through tsx, or through npm's bin symlink) rather
// than being imported by a test or another module.
import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export function isMainModule(moduleUrl: string): boolean {
  const arg = process.argv[1]
  if (!arg) return false
  try {
    return realpathSync(arg) === realpathSync(fileURLToPath(moduleUrl))
  } catch {
    return false
  }
}
