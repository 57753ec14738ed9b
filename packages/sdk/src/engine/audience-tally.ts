import type { MemberResult } from '../connector.js';
import { emptyAudienceReport, type AudienceReport, type RecordFailure, type SkipReason } from '../report.js';
import { MAX_LISTED_FAILURES } from './goal-context.js';

/** Accumulates one audience's report. */
export class AudienceTally {
  readonly report: AudienceReport;

  constructor(audienceId: string) {
    this.report = emptyAudienceReport(audienceId);
  }

  /** Counts a skipped record; a detail (e.g. bad data) is listed with the failures for the reader. */
  skip(reason: SkipReason, detail?: RecordFailure): void {
    this.report.skipped[reason] = (this.report.skipped[reason] ?? 0) + 1;
    if (detail) this.list(detail);
  }

  fail(record: string, reason: string): void {
    this.report.failed++;
    this.list({ record, reason });
  }

  private list(failure: RecordFailure): void {
    if (this.report.failures.length < MAX_LISTED_FAILURES) this.report.failures.push(failure);
  }

  /** Counts one external write result. */
  count(result: MemberResult): void {
    switch (result.outcome) {
      case 'created':
        this.report.created++;
        break;
      case 'updated':
        this.report.updated++;
        break;
      case 'compliance':
        this.skip('compliance', { record: result.email, reason: result.reason ?? 'compliance state' });
        break;
      case 'skipped':
        this.skip('notFound');
        break;
      case 'archived':
        this.skip('archived');
        break;
      case 'exists':
        this.skip('exists');
        break;
      case 'failed':
        this.fail(result.email, result.reason ?? 'failed');
        break;
    }
  }
}
