// SigV4 known answers: AWS's published examples must produce their published signatures (no server
// needed; a wrong canonical form would still pass against a lenient emulator, not here).
import { expect, it } from 'vitest'
import { sha256Hex, signRequest, uriEncode } from '../../src/storage/sigv4.js'

it('S3 documentation example "GET Object" with a Range header', async () => {
  const headers = await signRequest({
    method: 'GET', url: new URL('https://examplebucket.s3.amazonaws.com/test.txt'), headers: { Range: 'bytes=0-9' },
    payloadHash: await sha256Hex(), region: 'us-east-1', now: () => Date.parse('2013-05-24T00:00:00Z'),
  }, { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' })
  expect(headers.authorization).toBe('AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, ' +
    'SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41')
})

it('SigV4 test suite "get-vanilla" (service other than S3: no payload-hash header)', async () => {
  const headers = await signRequest({
    method: 'GET', url: new URL('https://example.amazonaws.com/'), headers: {}, payloadHash: await sha256Hex(),
    region: 'us-east-1', service: 'service', now: () => Date.parse('2015-08-30T12:36:00Z'),
  }, { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' })
  expect(headers.authorization).toBe('AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ' +
    'SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31')
})

it('URI encoding keeps only unreserved characters (and "/" in paths)', () => {
  expect(uriEncode('p=a b/ç~x_-.+', true)).toBe('p%3Da%20b/%C3%A7~x_-.%2B')
  expect(uriEncode('a/b')).toBe('a%2Fb')
})
