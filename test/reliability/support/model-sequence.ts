import type { Sandbox, SeedMember } from '@cdp/mailchimp-sandbox';
import type { AudienceReport, Profile, RunReport } from '@cdp/sdk';
import type { TestClock } from '../../../packages/sdk/testing/test-clock.js';
import { profile as storedProfile } from '../../../connectors/mailchimp/test/e2e/world.js';
import { API_KEY } from './evidence.js';
import { ConnectionModel, REMOVABLE, type ModelProfile, type ProfileChange, type RunPrediction } from './model.js';
import {
  brakeRespected,
  compareWithModel,
  consentRespected,
  History,
  marketerChangesKept,
  neverResubscribed,
  reportAsPredicted,
  unchanged,
  type Problems,
} from './model-checks.js';
import type { MemberSpec, ProfileSpec, Setup, Step } from './model-steps.js';
import { LIST, type SystemUnderTest } from './system-under-test.js';
import { sleep } from './random.js';

/** What the sequences did, summed over a suite, for docs/reliability.md. */
export class ModelFigures {
  sequences = 0;
  steps = 0;
  runs = 0;
  fullRuns = 0;
  dryRuns = 0;
  forcedRuns = 0;
  killedRuns = 0;
  /** Armed runs that really died before they ended (the others finished first). */
  runsReallyKilled = 0;
  braked = 0;
  /** From the run reports: what the export goal did, and the profiles the import changed. */
  created = 0;
  restored = 0;
  withdrawn = 0;
  removed = 0;
  untagged = 0;
  compliance = 0;
  scoresChanged = 0;
  /** Members a run reported failed: none is expected, there are no faults. */
  failed = 0;
  membersChecked = 0;
  profilesChecked = 0;
}

/** How much later than usual Mailchimp answers a run that is killed. */
const KILLED_RUN_LATENCY_MS = 5;
/** How long a killed run is watched after it returned, for writes still in flight. */
const QUIET_MS = 3 * KILLED_RUN_LATENCY_MS;

/**
 * One sequence: the model and the real system side by side. Every step is applied to both, then checked:
 * the properties that must always hold, then the whole state against the model. A failed check throws with the
 * steps taken so far.
 */
export class ModelSequence {
  private readonly model: ConnectionModel;
  private readonly history = new History();
  private readonly trace: string[] = [];
  private readonly profileIds: string[] = [];
  private readonly deletedEmails: string[] = [];
  private strangers = 0;

  private constructor(
    private readonly system: SystemUnderTest,
    private readonly clock: TestClock,
    private readonly figures: ModelFigures,
    setup: Setup,
  ) {
    this.model = new ConnectionModel(setup.settings);
    this.model.now = clock.now().getTime();
  }

  /** Seeds Mailchimp (the sandbox, reset) and the profile store with the setup, then checks the start. */
  static async start(system: SystemUnderTest, clock: TestClock, figures: ModelFigures, setup: Setup): Promise<ModelSequence> {
    const sequence = new ModelSequence(system, clock, figures, setup);
    const members: SeedMember[] = [];
    for (const spec of setup.profiles) {
      const created = await sequence.addProfile(spec);
      if (spec.member) members.push(sequence.seedMember(created.email, spec.member));
    }
    for (const spec of setup.strangers) members.push(sequence.seedMember(sequence.strangerEmail(), spec));
    resetSandbox(system.sandbox, members);
    figures.sequences++;
    await sequence.check([]);
    return sequence;
  }

  async step(step: Step): Promise<void> {
    this.model.now = this.clock.advance(step.gap * 1000).getTime();
    const problems: Problems = [];
    const description = await this.perform(step, problems);
    this.trace.push(`${this.trace.length + 1}. (+${step.gap}s) ${description}`);
    this.figures.steps++;
    await this.check(problems);
  }

  private async check(stepProblems: Problems): Promise<void> {
    const members = this.system.members();
    const profiles = await this.system.profiles(this.profileIds);
    const problems = [...neverResubscribed(this.history, members), ...marketerChangesKept(this.history, members), ...stepProblems];
    // The exact comparison last: a broken property above explains a difference better than the difference.
    if (problems.length === 0) problems.push(...compareWithModel(this.model, members, profiles));
    this.history.observe(members);
    this.figures.membersChecked += members.length;
    this.figures.profilesChecked += profiles.length;
    if (problems.length > 0) throw new Error([...problems, '', 'steps:', ...this.trace].join('\n'));
  }

  private perform(step: Step, problems: Problems): Promise<string> | string {
    switch (step.kind) {
      case 'pause':
        return 'time passes';
      case 'segment':
        return this.changeProfile(step.pick, { [step.segment]: step.join }, `${step.join ? 'joins' : 'leaves'} ${step.segment}`);
      case 'consent':
        return this.changeProfile(step.pick, { consent: step.give }, step.give ? 'gives consent' : 'withdraws consent (analytics only)');
      case 'rename':
        return this.changeProfile(step.pick, { firstName: step.firstName }, `is renamed ${step.firstName}`);
      case 'editScore':
        return this.changeProfile(step.pick, { score: step.score }, `gets score ${step.score} from the CDP`);
      case 'newProfile':
        return this.newProfile(step);
      case 'returningProfile':
        return this.returningProfile(step);
      case 'deleteProfile':
        return this.deleteProfile(step.pick);
      case 'unsubscribe':
        return this.memberAction(step.pick, ['subscribed', 'pending', 'transactional'], 'unsubscribes', (email) => this.patch(email, { status: 'unsubscribed' }));
      case 'clean':
        return this.memberAction(step.pick, ['subscribed', 'unsubscribed', 'pending', 'transactional'], 'is cleaned (bounced)', (email) => this.patch(email, { status: 'cleaned' }));
      case 'archive':
        return this.memberAction(step.pick, REMOVABLE, 'is archived by a marketer', (email) => this.archiveByMarketer(email));
      case 'tag':
        return this.memberAction(step.pick, NOT_ARCHIVED, `gets the marketer tag ${step.tag}`, (email) => this.tagByMarketer(email, step.tag));
      case 'points':
        return this.memberAction(step.pick, NOT_ARCHIVED, `gets POINTS ${step.points}`, (email) => this.patch(email, { merge_fields: { POINTS: step.points } }));
      case 'language':
        return this.memberAction(step.pick, NOT_ARCHIVED, `gets language ${step.language} (unmapped)`, (email) => this.patch(email, { language: step.language }));
      case 'editFirstName':
        return this.memberAction(step.pick, NOT_ARCHIVED, `gets FNAME ${step.firstName} from a marketer`, (email) => this.patch(email, { merge_fields: { FNAME: step.firstName } }));
      case 'signUp':
        return this.signUp(step.pick);
      case 'confirm':
        return this.memberAction(step.pick, ['pending'], 'confirms the double opt-in email', (email) => this.confirm(email));
      case 'run':
        return this.run({}, problems);
      case 'fullRun':
        this.figures.fullRuns++;
        return this.run({ full: true }, problems);
      case 'forcedRun':
        this.figures.forcedRuns++;
        return this.run({ force: true }, problems);
      case 'dryRun':
        return this.dryRun(problems);
      case 'killedRun':
        return this.killedRun(step.afterCalls, problems);
    }
  }

  // The CDP

  private async addProfile(spec: ProfileSpec, email?: string): Promise<ModelProfile> {
    const id = `p${this.profileIds.length}`;
    const created: ModelProfile = { id, email: email ?? `${id}@example.com`, ...spec, score: spec.score ?? 0 };
    const properties = { email: [created.email], firstName: [spec.firstName], ...(spec.score === undefined ? {} : { score: [spec.score] }) };
    const segments = [...(spec.newsletter ? ['newsletter'] : []), ...(spec.vip ? ['vip'] : [])];
    await this.system.stores.profiles.upsertProfiles([
      storedProfile(id, created.email, { properties, segments, consent: consentOf(spec.consent), updatedAt: this.clock.now() }),
    ]);
    this.profileIds.push(id);
    this.model.addProfile(created);
    return created;
  }

  private async newProfile(spec: ProfileSpec): Promise<string> {
    const created = await this.addProfile(spec);
    return `new profile ${created.id} ${JSON.stringify(specOf(spec))}`;
  }

  private async returningProfile(step: ProfileSpec & { pick: number }): Promise<string> {
    const email = pickOf(this.deletedEmails.filter((deleted) => !this.model.profileByEmail(deleted)), step.pick);
    if (!email) return 'no deleted profile to create again';
    const created = await this.addProfile(step, email);
    return `new profile ${created.id} for ${email}, whose profile was deleted ${JSON.stringify(specOf(step))}`;
  }

  /** Changes a stored profile as the CDP would: read, change, write back with a new updatedAt. */
  private async changeProfile(pick: number, change: ProfileChange, what: string): Promise<string> {
    const target = pickOf([...this.model.profiles.values()], pick);
    if (!target) return `no profile ${what}`;
    const [stored] = await this.system.stores.profiles.findById([target.id]);
    await this.system.stores.profiles.upsertProfiles([{ ...withChange(stored, change), updatedAt: this.clock.now() }]);
    this.model.changeProfile(target.id, change);
    return `profile ${target.id} ${what}`;
  }

  private async deleteProfile(pick: number): Promise<string> {
    const target = pickOf([...this.model.profiles.values()], pick);
    if (!target) return 'no profile to delete';
    await this.system.stores.deleteProfile(target.id);
    this.model.deleteProfile(target.id);
    this.deletedEmails.push(target.email);
    return `profile ${target.id} is deleted from the CDP`;
  }

  // Mailchimp

  private seedMember(email: string, spec: MemberSpec): SeedMember {
    const mergeFields = { FNAME: 'Seeded', ...(spec.points === undefined ? {} : { POINTS: spec.points }) };
    const tags = spec.tag === undefined ? [] : [spec.tag];
    this.model.addMember({ email, status: spec.status, fname: mergeFields.FNAME, points: spec.points, tags });
    for (const tag of tags) this.history.marketerTags.push({ email, tag });
    return { email_address: email, status: spec.status, merge_fields: mergeFields, tags };
  }

  private strangerEmail(): string {
    return `s${this.strangers++}@example.com`;
  }

  /** A person or a marketer acts on one of the members whose status allows it. */
  private async memberAction(pick: number, statuses: readonly string[], what: string, act: (email: string) => Promise<void>): Promise<string> {
    const target = pickOf([...this.model.members.values()].filter((member) => statuses.includes(member.status)), pick);
    if (!target) return `no member that ${what}`;
    await act(target.email);
    return `member ${target.email} ${what}`;
  }

  private async patch(email: string, body: { status?: 'unsubscribed' | 'cleaned'; merge_fields?: { POINTS?: number; FNAME?: string }; language?: string }): Promise<void> {
    await this.system.mailchimp('PATCH', this.system.memberPath(email), body);
    this.model.changeMember(email, { ...(body.status && { status: body.status }), ...(body.language && { language: body.language }) });
    if (body.merge_fields?.POINTS !== undefined) this.model.changeMember(email, { points: body.merge_fields.POINTS });
    if (body.merge_fields?.FNAME !== undefined) this.model.changeMember(email, { fname: body.merge_fields.FNAME });
  }

  private async archiveByMarketer(email: string): Promise<void> {
    await this.system.mailchimp('DELETE', this.system.memberPath(email));
    this.model.archiveMember(email);
    this.history.marketerArchived.add(email);
  }

  private async tagByMarketer(email: string, tag: string): Promise<void> {
    await this.system.mailchimp('POST', `${this.system.memberPath(email)}/tags`, { tags: [{ name: tag, status: 'active' }] });
    const member = this.model.members.get(email)!;
    if (!member.tags.includes(tag)) this.model.changeMember(email, { tags: [...member.tags, tag] });
    this.history.marketerTags.push({ email, tag });
  }

  /** The person clicks the link of the confirmation email. */
  private async confirm(email: string): Promise<void> {
    this.system.sandbox.admin.confirmMember(LIST.id, email);
    this.model.changeMember(email, { status: 'subscribed' });
  }

  /** Someone subscribes through a Mailchimp form: a profile's email that has no member yet, or a stranger's. */
  private async signUp(pick: number): Promise<string> {
    const candidates = [...this.model.profiles.values()].map((p) => p.email).filter((email) => !this.model.members.has(email));
    const email = pickOf([...candidates, this.strangerEmail()], pick)!;
    await this.system.mailchimp('POST', `/lists/${LIST.id}/members`, { email_address: email, status: 'subscribed' });
    this.model.addMember({ email, status: 'subscribed', tags: [] });
    return `${email} subscribes in Mailchimp`;
  }

  // Runs

  private async run(options: { full?: boolean; force?: boolean }, problems: Problems): Promise<string> {
    const before = this.system.members();
    const segmentEmpty = ![...this.model.profiles.values()].some((p) => p.newsletter);
    const report = await this.system.run(options);
    const prediction = this.model.run(options);
    this.count(report, prediction);
    const after = this.system.members();
    const brake = { maxRemovalShare: this.model.settings.maxRemovalShare, force: options.force ?? false, segmentEmpty, withdrawn: prediction.withdrawn, report };
    problems.push(...reportAsPredicted(report, prediction.braked), ...consentRespected(this.model, before, after), ...brakeRespected(brake, before, after));
    return `${describeRun(options)}: ${summarize(report)}`;
  }

  private count(report: RunReport, prediction: RunPrediction): void {
    const figures = this.figures;
    figures.runs++;
    if (prediction.braked) figures.braked++;
    for (const goal of report.goals) {
      const audience = goal.audiences[0];
      if (!audience) continue;
      figures.failed += audience.failed;
      if (goal.kind === 'import') {
        figures.scoresChanged += audience.updated;
        continue;
      }
      figures.created += audience.created;
      figures.restored += audience.restored;
      figures.withdrawn += audience.withdrawn;
      figures.removed += audience.removed;
      figures.untagged += audience.untagged;
      figures.compliance += audience.skipped.compliance ?? 0;
    }
  }

  private async dryRun(problems: Problems): Promise<string> {
    this.figures.dryRuns++;
    const before = await this.snapshot();
    const report = await this.system.dryRun();
    const after = await this.snapshot();
    problems.push(
      ...unchanged('Mailchimp', before.mailchimp, after.mailchimp),
      ...unchanged('profiles', before.profiles, after.profiles),
      ...unchanged('connection state', before.state, after.state),
      ...reportAsPredicted(report, this.model.wouldBrake()),
    );
    return `dry run: ${summarize(report)}`;
  }

  /**
   * A run whose process dies after a number of profile store calls, then two runs. The dead run and the run
   * after it must keep every invariant, and the dead run must stop writing when it returns. The state is then
   * compared with the model's two uninterrupted runs: the run after a killed one is a new run that sees what the
   * dead run wrote (a member it restored is imported at once), so it may do one run's work early, and only the
   * runs that follow together must match.
   */
  private async killedRun(afterCalls: number, problems: Problems): Promise<string> {
    this.figures.killedRuns++;
    const before = this.system.members();
    this.system.runStore.killAfter(afterCalls);
    // Slow answers keep the dead run's last writes in flight when it returns, where a wait for them shows.
    this.system.sandbox.admin.setFaults({ latencyMs: KILLED_RUN_LATENCY_MS });
    const dead = await this.system.run();
    this.system.sandbox.admin.setFaults({});
    this.system.runStore.revive();
    const killed = this.system.runStore.killed;
    if (killed) {
      this.figures.runsReallyKilled++;
      problems.push(...(await this.quietAfterReturn()));
    } else {
      // It finished before its kill time: a whole run.
      this.model.run();
    }
    const next = await this.system.run();
    this.model.run();
    const after = this.system.members();
    problems.push(...neverResubscribed(this.history, after), ...marketerChangesKept(this.history, after), ...consentRespected(this.model, before, after));
    const last = await this.run({}, problems);
    return `run killed after ${afterCalls} profile store calls (${killed ? `died: ${summarize(dead)}` : 'finished first'}), then run: ${summarize(next)}, then ${last}`;
  }

  /** A run that returned writes nothing more, to Mailchimp or to its state: its writes in flight were awaited. */
  private async quietAfterReturn(): Promise<Problems> {
    const before = { mailchimp: this.system.members(), state: await this.system.state() };
    await sleep(QUIET_MS);
    return unchanged('after the killed run returned,', before, { mailchimp: this.system.members(), state: await this.system.state() });
  }

  private async snapshot() {
    return {
      mailchimp: this.system.sandbox.admin.dump(),
      profiles: await this.system.profiles(this.profileIds),
      state: await this.system.state(),
    };
  }
}

/** Members still in the audience: a marketer acts on these (archived ones are out of reach here). */
const NOT_ARCHIVED = ['subscribed', 'unsubscribed', 'cleaned', 'pending', 'transactional'];

function resetSandbox(sandbox: Sandbox, members: SeedMember[]): void {
  sandbox.admin.reset();
  sandbox.admin.resetCounters();
  sandbox.admin.seed({ apiKeys: [API_KEY], lists: [{ ...LIST, members }] });
}

function pickOf<T>(items: T[], pick: number): T | undefined {
  return items.length === 0 ? undefined : items[pick % items.length];
}

const consentOf = (consent: boolean) => ({ objectives: [consent ? 'newsletter' : 'analytics'] });

function withChange(profile: Profile, change: ProfileChange): Profile {
  const segments = new Set(profile.segments);
  for (const segment of ['newsletter', 'vip'] as const) {
    if (change[segment] === true) segments.add(segment);
    if (change[segment] === false) segments.delete(segment);
  }
  return {
    ...profile,
    segments: [...segments],
    consent: change.consent === undefined ? profile.consent : consentOf(change.consent),
    properties: {
      ...profile.properties,
      ...(change.firstName === undefined ? {} : { firstName: [change.firstName] }),
      ...(change.score === undefined ? {} : { score: [change.score] }),
    },
  };
}

function specOf({ newsletter, vip, consent, firstName, score }: ProfileSpec): ProfileSpec {
  return { newsletter, vip, consent, firstName, score };
}

function describeRun(options: { full?: boolean; force?: boolean }): string {
  return options.full ? 'full run' : options.force ? 'forced run' : 'run';
}

const COUNTS = ['created', 'updated', 'unchanged', 'restored', 'withdrawn', 'removed', 'untagged', 'failed'] as const;

/** A run report in one line: each goal's status and the counts that are not zero. */
function summarize(report: RunReport): string {
  return report.goals.map((goal) => `${goal.kind} ${goal.status}${inParentheses(goal.audiences[0] ? notes(goal.audiences[0]) : [])}`).join('; ');
}

function notes(audience: AudienceReport): string[] {
  return [
    ...COUNTS.filter((key) => audience[key] > 0).map((key) => `${key} ${audience[key]}`),
    ...Object.entries(audience.skipped).map(([reason, count]) => `skipped ${reason} ${count}`),
    ...(audience.brake ? [`brake ${audience.brake.wouldRemove}/${audience.brake.audienceSize}`] : []),
  ];
}

const inParentheses = (items: string[]): string => (items.length > 0 ? ` (${items.join(', ')})` : '');
