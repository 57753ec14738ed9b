import type { MemberStatus } from '@cdp/mailchimp-sandbox';

/**
 * The reference model of one connection over many runs: what the CDP holds, what Mailchimp holds and what the
 * connection remembers between runs, as plain maps moved by the rules of docs/connectors/mailchimp.md. It shares
 * no code with the engine, so when the two disagree one of them is wrong.
 */

export type WithdrawalAction = 'unsubscribe' | 'archive' | 'keep';

/** What varies between the connections under test. */
export interface ConnectionSettings {
  /** The removal brake of membership sync (archive); undefined: no membership sync. */
  maxRemovalShare?: number;
  onConsentWithdrawn: WithdrawalAction;
  importFirst: boolean;
}

export interface ModelProfile {
  id: string;
  email: string;
  newsletter: boolean;
  vip: boolean;
  /** Consented to the connection's objective (`newsletter`), or only to another one. */
  consent: boolean;
  firstName: string;
  score: number;
}

export type ProfileChange = Partial<Pick<ModelProfile, 'newsletter' | 'vip' | 'consent' | 'firstName' | 'score'>>;

export interface ModelMember {
  email: string;
  status: MemberStatus;
  /** What an archived member was before: Mailchimp never subscribes again one that was unsubscribed or cleaned. */
  statusBeforeArchive?: MemberStatus;
  fname?: string;
  points?: number;
  language?: string;
  tags: string[];
  /** Mailchimp's last_changed: moves only when the member's content changes. */
  changedAt: number;
}

export interface RunPrediction {
  /** The removal brake refused membership sync: the export goal fails and its sync archives no one. */
  braked: boolean;
  /** Members whose profile lost consent or was deleted, handled as `onConsentWithdrawn` says. */
  withdrawn: string[];
}

export const VIP_TAG = 'VIP';
/** Statuses membership sync (archive) can remove, and over which the brake's share is taken. */
export const REMOVABLE: readonly MemberStatus[] = ['subscribed', 'unsubscribed', 'transactional'];
/** Statuses Mailchimp never lets anyone subscribe again. */
const COMPLIANCE: readonly MemberStatus[] = ['unsubscribed', 'cleaned'];
/** An import reads the members changed since one minute before the start of the last completed import. */
const IMPORT_OVERLAP_MS = 60_000;

interface Payload {
  fname: string;
  vip: boolean;
}

/** What the export goal keeps about a member it wrote or removed ("What carries over from run to run"). */
interface SentRecord {
  /** The payload last sent: the delta compares with it. */
  payload?: Payload;
  /** The goal's last write that reached the member carried the managed tag. */
  tagged: boolean;
  /** What Mailchimp holds must be written again, changed or not. */
  resend: boolean;
  /** The member is in the audience through a write of this goal. */
  inAudience: boolean;
  removed?: WithdrawalAction;
  /** This goal archived the member: a profile that qualifies again brings it back. */
  archivedByGoal: boolean;
}

type WriteOutcome = 'created' | 'updated' | 'compliance' | 'archived';

export class ConnectionModel {
  readonly profiles = new Map<string, ModelProfile>();
  readonly members = new Map<string, ModelMember>();
  private readonly sent = new Map<string, SentRecord>();
  /** POINTS last imported, per profile and member: a `sum` adds the change since. */
  private readonly imported = new Map<string, number>();
  private lastImportStart?: number;
  /** The removable count a braked run weighed: until membership sync goes through, later runs weigh no more. */
  private removableBefore = Infinity;
  /** The current instant; the caller moves it with its clock. */
  now = 0;

  constructor(readonly settings: ConnectionSettings) {}

  profileByEmail(email: string): ModelProfile | undefined {
    return [...this.profiles.values()].find((profile) => profile.email === email);
  }

  /** Live profiles of the segment with consent: those the export sends and membership sync keeps. */
  qualifying(): ModelProfile[] {
    return [...this.profiles.values()].filter((profile) => profile.newsletter && profile.consent);
  }

  addProfile(profile: ModelProfile): void {
    this.profiles.set(profile.id, { ...profile });
  }

  changeProfile(id: string, change: ProfileChange): void {
    this.profiles.set(id, { ...this.profiles.get(id)!, ...change });
  }

  deleteProfile(id: string): void {
    this.profiles.delete(id);
  }

  addMember(member: Omit<ModelMember, 'changedAt'>): void {
    this.members.set(member.email, { ...member, changedAt: this.now });
  }

  /** A change made in Mailchimp (by the person, a marketer or a connection write). */
  changeMember(email: string, change: Partial<Omit<ModelMember, 'email' | 'changedAt'>>): void {
    const member = this.members.get(email)!;
    const next = { ...member, ...change };
    if (contentOf(next) !== contentOf(member)) next.changedAt = this.now;
    this.members.set(email, next);
  }

  archiveMember(email: string): void {
    this.changeMember(email, { status: 'archived', statusBeforeArchive: this.members.get(email)!.status });
  }

  /** Whether a run now would be braked (what a dry run must report too). */
  wouldBrake(force = false): boolean {
    const plan = this.planRemovals();
    return plan !== undefined && this.brakes(plan, this.withdrawals(), force);
  }

  /** One complete run of both goals, in the connection's order. */
  run(options: { full?: boolean; force?: boolean } = {}): RunPrediction {
    if (this.settings.importFirst) this.importGoal(options.full ?? false);
    const prediction = this.exportGoal(options.full ?? false, options.force ?? false);
    if (!this.settings.importFirst) this.importGoal(options.full ?? false);
    return prediction;
  }

  private exportGoal(full: boolean, force: boolean): RunPrediction {
    // Membership sync decides who goes before any write, from the audience as it is.
    const plan = this.planRemovals();
    for (const profile of this.qualifying()) this.send(profile, full);
    const withdrawn = this.sweep();
    const braked = plan !== undefined && this.brakes(plan, withdrawn, force);
    if (plan) this.removableBefore = braked ? plan.removable : Infinity;
    if (plan && !braked) for (const email of plan.candidates.filter((email) => !withdrawn.includes(email))) this.removeFromAudience(email);
    return { braked, withdrawn };
  }

  /**
   * Members membership sync would remove: removable ones that are no qualifying profile of the segment, except
   * those this goal has already taken out (withdrawn consent decides alone), weighed over the removable members
   * before the run, or before the last braked run if fewer. Undefined without membership sync.
   */
  private planRemovals(): { candidates: string[]; removable: number; segmentEmpty: boolean } | undefined {
    if (this.settings.maxRemovalShare === undefined) return undefined;
    const keep = new Set(this.qualifying().map((profile) => profile.email));
    const removable = [...this.members.values()].filter((member) => REMOVABLE.includes(member.status));
    const candidates = removable.map((member) => member.email).filter((email) => !keep.has(email) && this.sent.get(email)?.removed === undefined);
    return { candidates, removable: Math.min(removable.length, this.removableBefore), segmentEmpty: ![...this.profiles.values()].some((profile) => profile.newsletter) };
  }

  /** The brake weighs what remains once this run's withdrawals are set aside, over the removable members before the run. */
  private brakes(plan: { candidates: string[]; removable: number; segmentEmpty: boolean }, withdrawn: string[], force: boolean): boolean {
    const count = plan.candidates.filter((email) => !withdrawn.includes(email)).length;
    return count > 0 && (plan.segmentEmpty || (!force && count > this.settings.maxRemovalShare! * plan.removable));
  }

  /** The delta: a member is written when its payload differs from the one last written, or on `--full`. */
  private send(profile: ModelProfile, full: boolean): void {
    const payload: Payload = { fname: profile.firstName, vip: profile.vip };
    const record = this.sent.get(profile.email);
    const unchanged = record?.payload !== undefined && !record.resend && samePayload(record.payload, payload);
    if (unchanged && !full) return;
    const outcome = this.write(profile.email, payload, record?.archivedByGoal ?? false);
    // Mailchimp takes the data of unsubscribed and cleaned members too; an archived one stays out of the audience.
    const reached = outcome === 'created' || outcome === 'updated' || outcome === 'compliance';
    // A managed tag whose segment the profile left comes off every member the write reached.
    if (reached && record?.tagged && !payload.vip) this.untag(profile.email);
    this.sent.set(profile.email, {
      payload,
      tagged: reached ? payload.vip : (record?.tagged ?? false),
      resend: false,
      inAudience: outcome === 'created' || outcome === 'updated' || (outcome === 'compliance' && (record?.inAudience ?? false)),
      archivedByGoal: false,
    });
  }

  /**
   * Writes a payload the way the connector must: creates a missing member as subscribed, never changes an
   * existing member's status, except to restore one this goal archived (refused for members that had
   * unsubscribed or bounced). Returns undefined when Mailchimp refused the write and nothing reached it.
   */
  private write(email: string, payload: Payload, restore: boolean): WriteOutcome | undefined {
    const member = this.members.get(email);
    const tags = (current: string[]) => (payload.vip && !current.includes(VIP_TAG) ? [...current, VIP_TAG] : current);
    if (!member) {
      this.addMember({ email, status: 'subscribed', fname: payload.fname, tags: tags([]) });
      return 'created';
    }
    if (restore) {
      if (COMPLIANCE.includes(member.statusBeforeArchive ?? member.status)) return undefined;
      this.changeMember(email, { status: 'subscribed', statusBeforeArchive: undefined, fname: payload.fname, tags: tags(member.tags) });
      return 'updated';
    }
    this.changeMember(email, { fname: payload.fname, tags: tags(member.tags) });
    if (member.status === 'archived') return 'archived';
    return COMPLIANCE.includes(member.status) ? 'compliance' : 'updated';
  }

  /**
   * Lost consent and deleted profiles; then, over every record the goal has not taken out, the managed tag of a
   * profile that no longer gives it (left `vip`, or no longer consents). An archived member has no tag Mailchimp
   * lets anyone remove: the goal forgets it.
   */
  private sweep(): string[] {
    const withdrawn = this.withdrawals();
    for (const email of withdrawn) this.withdraw(email, this.sent.get(email)!);
    for (const [email, record] of this.sent) {
      const profile = this.profileByEmail(email);
      if (record.removed !== undefined || !profile || !record.tagged || (profile.consent && profile.vip)) continue;
      if (this.members.get(email)!.status !== 'archived') this.untag(email);
      this.sent.set(email, { ...record, tagged: false, resend: true });
    }
    return withdrawn;
  }

  /**
   * Members this goal wrote whose profile no longer consents or was deleted. A member belongs to the profile
   * holding its email now: when the CDP deletes a profile and creates the person again, the new profile's
   * consent decides.
   */
  private withdrawals(): string[] {
    return [...this.sent].filter(([email, record]) => isWritten(record) && !this.profileByEmail(email)?.consent).map(([email]) => email);
  }

  /**
   * `onConsentWithdrawn`, once. Unsubscribing reaches archived members too (Mailchimp takes them out of the
   * archive as unsubscribed): once consent is gone, no later restore by anyone may mail the person. Only
   * removable members can be archived: an archive Mailchimp refuses leaves the member as it is (`keep`).
   */
  private withdraw(email: string, record: SentRecord): void {
    const action = this.settings.onConsentWithdrawn;
    const archives = action === 'archive' && REMOVABLE.includes(this.members.get(email)!.status);
    if (action === 'unsubscribe') this.changeMember(email, { status: 'unsubscribed', statusBeforeArchive: undefined });
    if (archives) this.archiveMember(email);
    const removed = action === 'archive' && !archives ? 'keep' : action;
    this.sent.set(email, { ...record, resend: true, removed, archivedByGoal: archives, inAudience: archives ? false : record.inAudience });
  }

  private removeFromAudience(email: string): void {
    this.archiveMember(email);
    const record = this.sent.get(email);
    this.sent.set(email, { tagged: false, ...record, resend: true, removed: 'archive', archivedByGoal: true, inAudience: false });
  }

  private untag(email: string): void {
    this.changeMember(email, { tags: this.members.get(email)!.tags.filter((tag) => tag !== VIP_TAG) });
  }

  /** Subscribed members changed since the overlap (all on the first or a `--full` run) move linked scores by their change. */
  private importGoal(full: boolean): void {
    const since = full || this.lastImportStart === undefined ? -Infinity : this.lastImportStart - IMPORT_OVERLAP_MS;
    for (const member of this.members.values()) {
      if (member.status !== 'subscribed' || member.changedAt <= since || member.points === undefined) continue;
      const profile = this.profileByEmail(member.email);
      if (!profile?.consent) continue;
      const key = `${profile.id}|${member.email}`;
      profile.score += member.points - (this.imported.get(key) ?? 0);
      this.imported.set(key, member.points);
    }
    this.lastImportStart = this.now;
  }
}

/** The member is in the audience through this goal, and the goal has not taken it out since. */
function isWritten(record: SentRecord): boolean {
  return record.inAudience && record.removed === undefined;
}

function samePayload(a: Payload, b: Payload): boolean {
  return a.fname === b.fname && a.vip === b.vip;
}

/** Everything Mailchimp compares to decide whether a write changed the member. */
function contentOf({ changedAt: _changedAt, ...content }: ModelMember): string {
  return JSON.stringify({ ...content, tags: [...content.tags].sort() });
}
