import fc from 'fast-check';
import type { MemberStatus } from '@cdp/mailchimp-sandbox';
import type { ConnectionSettings } from './model.js';

// What the model-based test generates: a connection and its starting data, then steps taken by the CDP, by
// people and marketers in Mailchimp, and runs. Steps name their target by a number taken modulo the targets that
// exist when the step comes, so every step of every sequence acts on something.

export const FIRST_NAMES = ['Ann', 'Bob', 'Cy', 'Dee', 'Eve', 'Flo'];
export const MARKETER_TAGS = ['met-at-fair', 'webinar'];
export const LANGUAGES = ['fr', 'de'];

export interface ProfileSpec {
  newsletter: boolean;
  vip: boolean;
  consent: boolean;
  firstName: string;
  score?: number;
}

/** A member Mailchimp already holds when the sequence starts. */
export interface MemberSpec {
  status: MemberStatus;
  points?: number;
  tag?: string;
}

export interface Setup {
  settings: ConnectionSettings;
  batchSize: number;
  profiles: (ProfileSpec & { member?: MemberSpec })[];
  /** Members no profile has. */
  strangers: MemberSpec[];
}

export type Step = (
  | { kind: 'pause' }
  | { kind: 'segment'; segment: 'newsletter' | 'vip'; join: boolean; pick: number }
  | { kind: 'consent'; give: boolean; pick: number }
  | { kind: 'rename'; firstName: string; pick: number }
  | { kind: 'editScore'; score: number; pick: number }
  | ({ kind: 'newProfile' } & ProfileSpec)
  /** The CDP creates a profile again, under a new id, for the email of a deleted one. */
  | ({ kind: 'returningProfile'; pick: number } & ProfileSpec)
  | { kind: 'deleteProfile'; pick: number }
  | { kind: 'unsubscribe'; pick: number }
  | { kind: 'clean'; pick: number }
  | { kind: 'archive'; pick: number }
  | { kind: 'tag'; tag: string; pick: number }
  | { kind: 'points'; points: number; pick: number }
  | { kind: 'language'; language: string; pick: number }
  | { kind: 'editFirstName'; firstName: string; pick: number }
  | { kind: 'signUp'; pick: number }
  | { kind: 'confirm'; pick: number }
  | { kind: 'run' }
  | { kind: 'fullRun' }
  | { kind: 'dryRun' }
  | { kind: 'forcedRun' }
  | { kind: 'killedRun'; afterCalls: number }
) & {
  /**
   * Seconds since the previous step. Never 60 apart in sum (40 a + 180 b ≠ 60), and Mailchimp's same-second
   * bumps of last_changed stay below 20 s: whether a member changed inside the import's one-minute overlap is
   * never a matter of a second.
   */
  gap: 40 | 180;
};

const pick = fc.nat({ max: 11 });
/** A boolean that is `value` three times out of four. */
const mostly = (value: boolean) => fc.oneof({ weight: 3, arbitrary: fc.constant(value) }, { weight: 1, arbitrary: fc.constant(!value) });

const profileSpec: fc.Arbitrary<ProfileSpec> = fc.record({
  newsletter: mostly(true),
  vip: fc.boolean(),
  consent: mostly(true),
  firstName: fc.constantFrom(...FIRST_NAMES),
  score: fc.option(fc.integer({ min: 0, max: 50 }), { nil: undefined }),
});

const memberSpec = (statuses: MemberStatus[]): fc.Arbitrary<MemberSpec> =>
  fc.record({
    status: fc.constantFrom(...statuses),
    points: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
    tag: fc.option(fc.constantFrom(...MARKETER_TAGS), { nil: undefined }),
  });

export const setupArb: fc.Arbitrary<Setup> = fc.record({
  settings: fc.record({
    maxRemovalShare: fc.option(fc.constantFrom(0.2, 0.34, 0.5, 0.75, 1), { nil: undefined, freq: 4 }),
    onConsentWithdrawn: fc.constantFrom('unsubscribe' as const, 'archive' as const, 'keep' as const),
    importFirst: fc.boolean(),
  }),
  batchSize: fc.constantFrom(2, 500),
  profiles: fc.array(
    fc.record({
      spec: profileSpec,
      // subscribed twice: the status most members have.
      member: fc.option(memberSpec(['subscribed', 'subscribed', 'unsubscribed', 'cleaned', 'pending', 'transactional']), { nil: undefined }),
    }).map(({ spec, member }) => ({ ...spec, member })),
    { minLength: 1, maxLength: 6 },
  ),
  strangers: fc.array(memberSpec(['subscribed', 'unsubscribed', 'pending', 'transactional']), { maxLength: 3 }),
});

const weighted = <T>(weight: number, arbitrary: fc.Arbitrary<T>) => ({ weight, arbitrary });

/** A step; shrinking turns the steps a failure does not need into pauses. */
const stepArb = fc.oneof(
  { withCrossShrink: true },
  weighted(1, fc.record({ kind: fc.constant('pause' as const) })),
  weighted(2, fc.record({ kind: fc.constant('segment' as const), segment: fc.constantFrom('newsletter' as const, 'vip' as const), join: fc.boolean(), pick })),
  weighted(2, fc.record({ kind: fc.constant('consent' as const), give: fc.boolean(), pick })),
  weighted(1, fc.record({ kind: fc.constant('rename' as const), firstName: fc.constantFrom(...FIRST_NAMES), pick })),
  weighted(1, fc.record({ kind: fc.constant('editScore' as const), score: fc.integer({ min: 0, max: 50 }), pick })),
  weighted(1, profileSpec.map((spec) => ({ kind: 'newProfile' as const, ...spec }))),
  weighted(1, fc.tuple(profileSpec, pick).map(([spec, pick]) => ({ kind: 'returningProfile' as const, ...spec, pick }))),
  weighted(1, fc.record({ kind: fc.constant('deleteProfile' as const), pick })),
  weighted(1, fc.record({ kind: fc.constant('unsubscribe' as const), pick })),
  weighted(1, fc.record({ kind: fc.constant('clean' as const), pick })),
  weighted(1, fc.record({ kind: fc.constant('archive' as const), pick })),
  weighted(1, fc.record({ kind: fc.constant('tag' as const), tag: fc.constantFrom(...MARKETER_TAGS), pick })),
  weighted(2, fc.record({ kind: fc.constant('points' as const), points: fc.integer({ min: 0, max: 100 }), pick })),
  weighted(1, fc.record({ kind: fc.constant('language' as const), language: fc.constantFrom(...LANGUAGES), pick })),
  weighted(1, fc.record({ kind: fc.constant('editFirstName' as const), firstName: fc.constantFrom(...FIRST_NAMES), pick })),
  weighted(1, fc.record({ kind: fc.constant('signUp' as const), pick })),
  weighted(1, fc.record({ kind: fc.constant('confirm' as const), pick })),
  weighted(4, fc.record({ kind: fc.constant('run' as const) })),
  weighted(1, fc.record({ kind: fc.constant('fullRun' as const) })),
  weighted(1, fc.record({ kind: fc.constant('dryRun' as const) })),
  weighted(1, fc.record({ kind: fc.constant('forcedRun' as const) })),
  weighted(1, fc.record({ kind: fc.constant('killedRun' as const), afterCalls: fc.integer({ min: 1, max: 10 }) })),
);

export const stepsArb = (maxSteps: number): fc.Arbitrary<Step[]> =>
  fc.array(
    fc.tuple(stepArb, fc.constantFrom(40 as const, 180 as const)).map(([step, gap]): Step => ({ ...step, gap })),
    { minLength: 10, maxLength: maxSteps, size: 'max' },
  );
