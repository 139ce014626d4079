// The worker thread of page-pool.ts: compresses the pages the writer leaves in the shared ring, in
// order, and lays out each file's body (PAR1, then every page's header and compressed bytes) with the
// same functions the in-thread writer uses, so a file is byte for byte the same either way.
import { parentPort } from 'node:worker_threads'
import { compressPage } from './codec.js'
import { writePage } from './page-encoder.js'
import { maxCompressedLength, snappyCompressInto } from './snappy.js'
import { ByteBuffer } from './thrift-compact.js'
import type { ParquetCodec } from './codec.js'
import type { WorkerReply, WorkerRequest } from './page-pool.js'

let ring = new Uint8Array(new SharedArrayBuffer(0))
let done = new Int32Array(new SharedArrayBuffer(8))
let packed = new Uint8Array(0)
const files = new Map<number, { codec: ParquetCodec; out: ByteBuffer; sizes: number[]; error?: string }>()

function compress(codec: ParquetCodec, raw: Uint8Array): Uint8Array {
  if (codec !== 'SNAPPY') return compressPage(codec, raw)
  const need = maxCompressedLength(raw.length)
  if (packed.length < need) packed = new Uint8Array(need)
  return packed.subarray(0, snappyCompressInto(raw, packed))
}

const port = parentPort!
port.on('message', (m: WorkerRequest) => {
  switch (m.kind) {
    case 'init':
      ring = new Uint8Array(m.ring)
      done = new Int32Array(m.done)
      Atomics.store(done, 1, 1) // loaded: the pool may send files
      return
    case 'begin': {
      const out = new ByteBuffer(m.initialSize)
      out.appendUint32(0x31524150) // PAR1
      files.set(m.file, { codec: m.codec, out, sizes: [] })
      return
    }
    case 'page': {
      const f = files.get(m.file)
      try {
        if (f && !f.error) {
          const data = m.data ?? compress(f.codec, ring.subarray(m.offset, m.offset + m.rawLength))
          const at = f.out.offset
          writePage(f.out, m.header, m.rawLength, data)
          f.sizes.push(f.out.offset - at - data.length, data.length)
        }
      } catch (e) {
        if (f) f.error = (e as Error).message
      } finally {
        // The ring's bytes of this page are free for the writer.
        if (m.seq > 0) Atomics.store(done, 0, m.seq)
      }
      return
    }
    case 'end': {
      const f = files.get(m.file)
      files.delete(m.file)
      if (!f) return
      if (f.error !== undefined) {
        port.postMessage({ file: m.file, error: f.error } satisfies WorkerReply)
        return
      }
      const body = f.out.getBytes()
      const sizes = Int32Array.from(f.sizes)
      port.postMessage({ file: m.file, body: body.buffer as ArrayBuffer, length: body.length, sizes } satisfies WorkerReply, [body.buffer as ArrayBuffer, sizes.buffer])
      return
    }
    case 'abort':
      files.delete(m.file)
  }
})
