// Recipe: a table on S3 or an S3-compatible server (MinIO, Ceph RGW, R2…). `lagomago/cloud` teaches
// DeltaTable the s3:// scheme; endpoint and credentials come from the usual AWS variables
// (AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION) or
// from `registerCloudStores({ s3: { endpoint, credentials } })`. Commits use conditional puts, so
// several lagomago writers may share the table (docs/storage.md: Spark on the same table).
// Run from the repository root, e.g. against the test server of test/servers/start.sh:
//   AWS_ENDPOINT_URL_S3=http://127.0.0.1:7480 AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=… \
//     npx tsx examples/s3.ts s3://my-bucket/lake/trips
import { DeltaTable } from 'lagomago'
import { S3Store } from 'lagomago/cloud'

const uri = process.argv[2] ?? `s3://lagomago-examples/trips-${Date.now().toString(36)}`
await S3Store.fromUri(`s3://${new URL(uri).host}`).createBucket() // a test server starts empty; on AWS create it once, elsewhere

const trips = await DeltaTable.create(uri, {
  schema: { type: 'struct', fields: [
    { name: 'id', type: 'long', nullable: false, metadata: {} },
    { name: 'city', type: 'string', nullable: true, metadata: {} },
    { name: 'km', type: 'double', nullable: true, metadata: {} },
  ] },
  partitionBy: ['city'],
})
await trips.append([{ id: 1n, city: 'lisboa', km: 3.5 }, { id: 2n, city: 'porto', km: 12 }, { id: 3n, city: 'lisboa', km: 7.25 }])
await trips.delete('km > 10')

const reopened = await DeltaTable.open(uri)
console.log(`${uri} at version ${reopened.version}:`, await reopened.toRows({ filter: "city = 'lisboa'" }))
