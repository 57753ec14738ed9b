import { createHash } from 'node:crypto';
import { ObjectId } from 'mongodb';
import type { Schedule } from '@cdp/sdk';

/** The Agenda job name shared by every connection's scheduled run. */
export const SCHEDULED_RUN_JOB = 'cdp-scheduled-run';

/** Agenda's collection for the scheduled-run jobs on MongoDB. */
export const JOBS_COLLECTION = 'agendaJobs';

/** Agenda's table for the scheduled-run jobs on PostgreSQL. */
export const JOBS_TABLE = 'agenda_jobs';

/** What a connection's job carries: the slot it fires for, and the schedule that slot was computed from. */
export interface ScheduledRunData {
  connectionId: string;
  slot: Date;
  scheduleKey: string;
}

/**
 * A job id derived from the connection id, so that workers refreshing at the same moment upsert one job per
 * connection instead of racing to insert several.
 */
export function jobIdOf(connectionId: string): ObjectId {
  return new ObjectId(createHash('sha256').update(`scheduled-run:${connectionId}`).digest().subarray(0, 12));
}

/** Identifies a schedule's content; a job whose key differs from the connection's schedule is out of date. */
export function scheduleKeyOf(schedule: Schedule): string {
  return JSON.stringify(schedule);
}
