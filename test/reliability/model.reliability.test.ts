import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import { startSandbox, type Sandbox } from '@cdp/mailchimp-sandbox';
import { mongoFromEnvironment, type EmbeddedMongo } from '@cdp/store-mongodb';
import { postgresFromEnvironment, type EmbeddedPostgres } from '@cdp/store-postgres';
import { TestClock } from '../../packages/sdk/testing/test-clock.js';
import { API_KEY, Evidence } from './support/evidence.js';
import { recordFigures, scaled } from './support/figures.js';
import { ModelFigures, ModelSequence } from './support/model-sequence.js';
import { setupArb, stepsArb } from './support/model-steps.js';
import { goalsFor, memoryStores, mongoStores, postgresStores, SystemUnderTest, type Stores } from './support/system-under-test.js';

// Model-based test of one connection over many runs: random sequences of CDP changes, Mailchimp changes and
// runs (normal, --full, dry, killed, forced), each step checked against a reference model (support/model.ts).
// Replay a failure with the MODEL_SEED and MODEL_PATH it prints.

const SEQUENCES = scaled(1000, 500);
/** Sequences over each database, the first of the same ones. */
const DATABASE_SEQUENCES = scaled(100, 50);
const MAX_STEPS = scaled(60, 30);
const SEED = process.env.MODEL_SEED === undefined ? Date.now() % 2 ** 31 : Number(process.env.MODEL_SEED);
const PATH = process.env.MODEL_PATH;
const REPLAY = "NODE_OPTIONS='--experimental-vm-modules --disable-warning=ExperimentalWarning' npx jest test/reliability/model.reliability.test.ts --selectProjects reliability";

const clock = new TestClock(new Date('2026-03-02T09:00:00Z'));
const evidence = new Evidence();
let sandbox: Sandbox;

beforeAll(async () => {
  // The sandbox stamps last_changed with Date.now(). On the test clock, Mailchimp and the CDP share one time, so
  // the import's one-minute overlap is exercised as in production instead of covering the few real seconds a
  // sequence takes.
  jest.spyOn(Date, 'now').mockImplementation(() => clock.now().getTime());
  sandbox = await startSandbox({ seed: { apiKeys: [API_KEY] } });
});

afterAll(async () => {
  await sandbox.close();
  jest.restoreAllMocks();
});

interface StoresUnderTest {
  /** As the test's name says it, for `-t` in the replay command. */
  name: string;
  figuresFile: string;
  open: (sequence: number) => Promise<Stores>;
}

/** Runs the sequences and prints and records their figures and time. */
async function holds(numRuns: number, stores: StoresUnderTest): Promise<ModelFigures> {
  const started = performance.now();
  const figures = await runSequences(numRuns, stores);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `model-based test, ${stores.name}: ${figures.sequences} sequences, ${figures.steps} steps, ${figures.runs} runs checked in ${seconds.toFixed(1)} s (seed ${SEED})`,
  );
  recordFigures(stores.figuresFile, { ...figures, seed: SEED, seconds: Math.round(seconds) });
  return figures;
}

/** Runs `numRuns` sequences, each on fresh stores; a failure reports its seed, path, steps and replay command. */
async function runSequences(numRuns: number, stores: StoresUnderTest): Promise<ModelFigures> {
  const figures = new ModelFigures();
  let index = 0;
  const property = fc.asyncProperty(setupArb, stepsArb(MAX_STEPS), async (setup, steps) => {
    const opened = await stores.open(index++);
    const system = new SystemUnderTest(sandbox, opened, goalsFor(setup.settings, setup.batchSize), clock, evidence);
    try {
      const sequence = await ModelSequence.start(system, clock, figures, setup);
      for (const step of steps) await sequence.step(step);
    } finally {
      await opened.close();
    }
  });
  const details = await fc.check(property, { numRuns, seed: SEED, path: PATH, endOnFailure: PATH !== undefined });
  if (details.failed) {
    const size = process.env.RELIABILITY_FULL === '1' ? 'RELIABILITY_FULL=1 ' : '';
    const replay = `${size}MODEL_SEED=${details.seed} MODEL_PATH=${details.counterexamplePath} ${REPLAY} -t '${stores.name}'`;
    const failure = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    throw new Error(`${await fc.asyncDefaultReportMessage(details)}\n\n${failure}\n\nReplay: ${replay}`);
  }
  return figures;
}

describe('a connection over many runs, against a reference model', () => {
  it(`holds on ${SEQUENCES} random sequences over the in-memory stores`, async () => {
    const figures = await holds(SEQUENCES, { name: 'in-memory stores', figuresFile: 'model-memory', open: async () => memoryStores(clock) });
    // The sequences reached what the checks are about (a replay runs one sequence only).
    if (PATH === undefined) {
      for (const reached of [figures.braked, figures.withdrawn, figures.restored, figures.runsReallyKilled, figures.scoresChanged, figures.dryRuns]) {
        expect(reached).toBeGreaterThan(0);
      }
    }
  }, 1_800_000);

  describe('over MongoDB', () => {
    let mongo: EmbeddedMongo;
    beforeAll(async () => {
      mongo = await mongoFromEnvironment('model');
    });
    afterAll(async () => {
      await mongo.stop();
    });

    it(`holds on the first ${DATABASE_SEQUENCES} of the same sequences over the MongoDB stores, a fresh database each`, async () => {
      await holds(DATABASE_SEQUENCES, { name: 'MongoDB stores', figuresFile: 'model-mongodb', open: (sequence) => mongoStores(mongo.uri, `model_${sequence}`, clock) });
    }, 1_800_000);
  });

  describe('over PostgreSQL', () => {
    let postgres: EmbeddedPostgres;
    beforeAll(async () => {
      postgres = await postgresFromEnvironment();
    });
    afterAll(async () => {
      await postgres.stop();
    });

    it(`holds on the first ${DATABASE_SEQUENCES} of the same sequences over the PostgreSQL stores, a fresh database each`, async () => {
      const database = (sequence: number) => `model_${process.pid}_${sequence}`;
      await holds(DATABASE_SEQUENCES, { name: 'PostgreSQL stores', figuresFile: 'model-postgres', open: (sequence) => postgresStores(postgres.url, database(sequence), clock) });
    }, 1_800_000);
  });

  it('leaks the API key nowhere', () => {
    evidence.expectNoSecret();
  });
});
