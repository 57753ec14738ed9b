#!/usr/bin/env node
import { runCli } from './program.js';

// A variable set but empty (or blank) is unset, for cdp and every library it loads.
for (const [name, value] of Object.entries(process.env)) if (value !== undefined && value.trim() === '') delete process.env[name];

// A command ends when its work is done: timers that libraries leave behind (Agenda's lock renewals) must not
// keep the process alive for minutes.
process.exit(await runCli(process.argv));
