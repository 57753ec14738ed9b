import { DateTime } from 'luxon';
import type { LifecycleDefinition } from '../ports/catalog.js';
import type { TouchpointKey } from '../ports/state-store.js';
import type { LifecyclePosition } from '../profile.js';

export type ThresholdPeriod = 'week' | 'month' | 'quarter';

/** The period an instant falls in, as a stable key: `2026-W48`, `2026-11`, `2026-Q4` (UTC). */
export function periodKey(at: Date, per: ThresholdPeriod): string {
  const t = DateTime.fromJSDate(at, { zone: 'utc' });
  if (per === 'week') return `${t.weekYear}-W${String(t.weekNumber).padStart(2, '0')}`;
  if (per === 'month') return t.toFormat('yyyy-MM');
  return `${t.year}-Q${t.quarter}`;
}

/** Thresholds by `lifecycle|stage`, from the catalog. */
export function thresholdIndex(lifecycles: LifecycleDefinition[]): Map<string, { max: number; per: ThresholdPeriod }> {
  const index = new Map<string, { max: number; per: ThresholdPeriod }>();
  for (const lifecycle of lifecycles) {
    for (const stage of lifecycle.stages) if (stage.threshold) index.set(`${lifecycle.id}|${stage.id}`, stage.threshold);
  }
  return index;
}

/** Touchpoint counters a profile's current stages carry at an instant (only stages with a threshold). */
export function touchpointKeys(
  profileId: string,
  positions: LifecyclePosition[],
  thresholds: Map<string, { max: number; per: ThresholdPeriod }>,
  at: Date,
): { key: TouchpointKey; max: number }[] {
  const keys: { key: TouchpointKey; max: number }[] = [];
  for (const { lifecycle, stage } of positions) {
    const threshold = thresholds.get(`${lifecycle}|${stage}`);
    if (threshold) keys.push({ key: { profileId, lifecycle, stage, period: periodKey(at, threshold.per) }, max: threshold.max });
  }
  return keys;
}
