#!/usr/bin/env node
import { runCli } from './program.js';

// A command ends when its work is done: timers that libraries leave behind (Agenda's lock renewals) must not
// keep the process alive for minutes.
process.exit(await runCli(process.argv));
