// Every bench job, in the order `npm run bench` runs them.
import type { Job } from '../harness.js'
import { openManyCommits, openWideCheckpoint } from './open.js'

export const JOBS: Job<any>[] = [openManyCommits, openWideCheckpoint]
