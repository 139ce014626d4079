// Every bench job, in the order `npm run bench` runs them.
import type { Job } from '../harness.js'
import { checkpointWrite100k, openMillionFiles } from './big-logs.js'
import { openManyCommits, openWideCheckpoint } from './open.js'
import { scanFilteredAggregate, scanFull } from './scan.js'
import { optimizeCdcTable, optimizeSmallFiles } from './optimize.js'
import { mergeCdc100k, mergeCdc1k } from './merge.js'
import { append1m } from './append.js'
import { commitConcurrency, commitConcurrencyS3 } from './concurrency.js'
import { SCALE_JOBS } from './scale.js'
import { firstMerge100k, firstMerge1k, jobDescribe, jobImport, jobMerge100k, jobMerge1k } from './process.js'

export const JOBS: Job<any>[] = [jobImport, jobDescribe, jobMerge1k, jobMerge100k, firstMerge1k, firstMerge100k, openManyCommits, openWideCheckpoint, scanFull, scanFilteredAggregate, append1m, mergeCdc1k, mergeCdc100k, commitConcurrency, commitConcurrencyS3, optimizeSmallFiles, optimizeCdcTable, ...SCALE_JOBS, checkpointWrite100k, openMillionFiles]
