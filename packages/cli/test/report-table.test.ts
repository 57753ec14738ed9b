import { describe, expect, it } from '@jest/globals';
import { emptyAudienceReport, type RunReport } from '@cdp/sdk';
import { renderRunReport } from '../src/report-table.js';

function reportWith(audience: Partial<ReturnType<typeof emptyAudienceReport>>): RunReport {
  const startedAt = new Date('2026-12-01T08:00:00.000Z');
  return {
    runId: 'r1',
    connectionId: 'news',
    trigger: 'manual',
    dryRun: false,
    status: 'succeeded',
    startedAt,
    endedAt: new Date(startedAt.getTime() + 1500),
    goals: [{ goalId: 'export', kind: 'export', status: 'succeeded', audiences: [{ ...emptyAudienceReport('L1'), ...audience }], apiCalls: 3, retries: 0, startedAt, durationMs: 1200 }],
    apiCalls: 4,
    retries: 0,
    dataExchange: { imported: 0, exported: 12 },
  };
}

describe('renderRunReport', () => {
  it('notes restores, withdrawn consent and tag removals only when there are some', () => {
    const text = renderRunReport(reportWith({ restored: 2, withdrawn: 1, untagged: 0 }));
    expect(text).toContain('export / L1: restored 2, consent withdrawn 1');
    expect(text).not.toContain('untagged');
    expect(renderRunReport(reportWith({}))).not.toMatch(/restored|withdrawn/);
  });

  it('notes erased members and the dry run warnings', () => {
    const text = renderRunReport(reportWith({ erased: 3, warnings: ['pattern *@example.com matches 40% of the segment'] }));
    expect(text).toContain('export / L1: erased 3');
    expect(text).toContain('export / L1: warning: pattern *@example.com matches 40% of the segment');
  });

  it('says the brake weighs the removable members', () => {
    const text = renderRunReport(reportWith({ brake: { wouldRemove: 6, audienceSize: 24, maxShare: 0.2 } }));
    expect(text).toContain('export / L1: removal brake: would remove 6 of the 24 removable members (limit 20%); nothing removed, --force overrides');
  });
});
