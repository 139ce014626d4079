// Turning a path written in the Delta log into a key under the table root, refusing paths that
// escape it. PROTOCOL.md: `add.path` is an RFC 2396 URI, relative to the table root or absolute,
// and must be URL-decoded to get the file's path.
import { UnsafePathError } from '../errors.js'

const SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:/

/** Where a path of the log points: inside the table root or, when allowed, outside it. */
export interface ResolvedPath {
  /** Key relative to the table root, when the file lies under it. */
  key?: string
  /** Absolute URI of a file outside the root (only with `allowExternalPaths`). */
  external?: string
}

/**
 * Decode a log path; a malformed escape is reported instead of thrown as URIError.
 * @example
 * decodeLogPath('uf=S%C3%A3o%20Paulo/part-0.parquet') // 'uf=São Paulo/part-0.parquet'
 */
export function decodeLogPath(p: string, table?: string): string {
  try {
    return decodeURIComponent(p)
  } catch (e) {
    throw new UnsafePathError(`malformed URL escape in path ${JSON.stringify(p)}`, { table, file: p, cause: e })
  }
}

/**
 * Resolve `logPath` against the table at `tableUrl` (a `scheme://…` URL without trailing slash).
 * Paths that leave the root are refused unless `allowExternalPaths` is set.
 * @example
 * resolveLogPath('s3://bucket/lake/events', 'uf=SP/part-0.parquet') // { key: 'uf=SP/part-0.parquet' }
 */
export function resolveLogPath(
  tableUrl: string,
  logPath: string,
  options: { allowExternalPaths?: boolean; table?: string } = {},
): ResolvedPath {
  const table = options.table ?? tableUrl
  if (SCHEME.test(logPath)) {
    const abs = normaliseUrl(logPath)
    const root = normaliseUrl(tableUrl).replace(/\/+$/, '') + '/'
    const decodedAbs = decodeLogPath(abs, table)
    const decodedRoot = decodeLogPath(root, table)
    if (decodedAbs.startsWith(decodedRoot)) {
      return { key: checkRelative(decodedAbs.slice(decodedRoot.length), logPath, table, options) }
    }
    if (options.allowExternalPaths) return { external: logPath }
    throw new UnsafePathError(`path ${logPath} lies outside the table root ${tableUrl}`, { table, file: logPath })
  }
  const decoded = decodeLogPath(logPath, table)
  if (decoded.startsWith('/')) {
    const rootPath = decodeLogPath(normaliseUrl(tableUrl).replace(/^file:\/\//, ''), table).replace(/\/+$/, '') + '/'
    if (tableUrl.startsWith('file:') && decoded.startsWith(rootPath)) {
      return { key: checkRelative(decoded.slice(rootPath.length), logPath, table, options) }
    }
    if (options.allowExternalPaths) return { external: decoded }
    throw new UnsafePathError(`absolute path ${logPath} lies outside the table root ${tableUrl}`, { table, file: logPath })
  }
  return { key: checkRelative(decoded, logPath, table, options) }
}

function checkRelative(rel: string, original: string, table: string, options: { allowExternalPaths?: boolean }): string {
  const out: string[] = []
  for (const seg of rel.split('/')) {
    if (seg === '' || seg === '.') continue
    if (seg === '..') {
      if (out.length === 0) {
        if (options.allowExternalPaths) throw new UnsafePathError(`relative path ${original} escapes the table root; give an absolute URI instead`, { table, file: original })
        throw new UnsafePathError(`path ${original} escapes the table root`, { table, file: original })
      }
      out.pop()
      continue
    }
    if (seg.includes('\\') || seg.includes('\0')) {
      throw new UnsafePathError(`path ${original} has an illegal character`, { table, file: original })
    }
    out.push(seg)
  }
  if (out.length === 0) throw new UnsafePathError(`path ${JSON.stringify(original)} names no file`, { table, file: original })
  return out.join('/')
}

/** `file:/x`, `file://x` and `file:///x` all appear in logs written by Hadoop-based engines. */
function normaliseUrl(u: string): string {
  return u.replace(/^file:\/*/, 'file:///')
}
