// Nested column paths as one string key: names joined by `.`, a name holding `.` or a backtick
// written in backticks (a backtick doubled), as SQL and `delta.dataSkippingStatsColumns` write it.
// Every map keyed by column path (stats, bound columns, batches, constraints) uses this one
// encoding, so a top-level column named `a.b` and field `b` of struct `a` never meet.
import { InvalidArgumentError } from '../errors.js'

const needsQuote = (name: string): boolean => name.includes('.') || name.includes('`')

/** One name as a key segment: plain, or quoted when it holds `.` or a backtick. */
export function quoteName(name: string): string {
  return needsQuote(name) ? `\`${name.replace(/`/g, '``')}\`` : name
}

/** The key of a path of names (`['s', 'a.b']` → ``s.`a.b` ``). */
export function pathKey(names: readonly string[]): string {
  return names.map(quoteName).join('.')
}

/** The names of a key (the inverse of pathKey); throws InvalidArgumentError on an unclosed quote. */
export function keyPath(key: string): string[] {
  if (!key.includes('`')) return key.split('.')
  const out: string[] = []
  let i = 0
  for (;;) {
    let name = ''
    if (key[i] === '`') {
      i++
      for (;;) {
        if (i >= key.length) throw new InvalidArgumentError(`unclosed backtick in column path ${JSON.stringify(key)}`)
        if (key[i] === '`') {
          if (key[i + 1] === '`') { name += '`'; i += 2; continue }
          i++
          break
        }
        name += key[i++]
      }
      if (i < key.length && key[i] !== '.') throw new InvalidArgumentError(`unexpected text after a quoted name in column path ${JSON.stringify(key)}`)
    } else {
      const dot = key.indexOf('.', i)
      const end = dot < 0 ? key.length : dot
      name = key.slice(i, end)
      i = end
    }
    out.push(name)
    if (i >= key.length) return out
    i++ // the dot
  }
}

/** The first name of a key (the top-level column, or the side of a MERGE key). */
export function keyHead(key: string): string {
  return keyPath(key)[0]!
}

/** The key without its first name (`target.a.b` → `a.b`). */
export function keyTail(key: string): string {
  return pathKey(keyPath(key).slice(1))
}

/** Split a comma-separated list of column paths (commas inside backticks belong to the name). */
export function splitPathList(list: string): string[][] {
  const out: string[][] = []
  let cur = ''
  let quoted = false
  for (const ch of list) {
    if (ch === '`') quoted = !quoted
    if (ch === ',' && !quoted) { push(); continue }
    cur += ch
  }
  push()
  return out
  function push(): void {
    const t = cur.trim()
    cur = ''
    if (t !== '') out.push(keyPath(t).map((n) => n.trim()))
  }
}
