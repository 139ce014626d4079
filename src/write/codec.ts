// Parquet compression codecs: which one a table asks for (`delta.parquet.compression.codec`), the
// file-name infix Spark uses for it, and page compression (our snappy, fflate's gzip, loaded by
// loadCompressor before the first gzip write: most tables never need it, issue 15).
import { snappyCompress } from './snappy.js'

export type ParquetCodec = 'SNAPPY' | 'GZIP' | 'UNCOMPRESSED'

/** Parquet codec for `delta.parquet.compression.codec` (PROTOCOL.md "Table Properties"). */
export function codecForTable(configuration: Record<string, string>): ParquetCodec {
  const raw = configuration['delta.parquet.compression.codec']?.toLowerCase()
  if (raw === undefined || raw === 'snappy') return 'SNAPPY'
  if (raw === 'uncompressed' || raw === 'none') return 'UNCOMPRESSED'
  if (raw === 'gzip') return 'GZIP'
  // No pure-JS zstd/lz4 compressor among our dependencies: snappy is the fallback the protocol allows
  // (it also says writers SHOULD default to zstd when the property is absent; Spark's default is snappy).
  return 'SNAPPY'
}

/** File-name infix for a codec, as Spark names files (`part-…-c000.snappy.parquet`, `.gz.parquet`). */
export function codecSuffix(codec: ParquetCodec): string {
  return codec === 'SNAPPY' ? '.snappy' : codec === 'GZIP' ? '.gz' : ''
}

let gzipSync: ((bytes: Uint8Array) => Uint8Array) | undefined

/** Load what `compressPage(codec, …)` needs (fflate for gzip); call before writing with `codec`. */
export async function loadCompressor(codec: ParquetCodec): Promise<void> {
  if (codec === 'GZIP' && !gzipSync) gzipSync = (await import('fflate')).gzipSync
}

/** Compress one page body with `codec` (gzip after loadCompressor('GZIP')). */
export function compressPage(codec: ParquetCodec, bytes: Uint8Array): Uint8Array {
  if (codec === 'SNAPPY') return snappyCompress(bytes)
  if (codec === 'GZIP') {
    if (!gzipSync) throw new Error('internal: gzip page compression used before loadCompressor(\'GZIP\')')
    return gzipSync(bytes) // fflate's default level 6, as parquet-mr's gzip
  }
  return bytes
}
