export { buildProgram, runCli } from './program.js';
export { ExitCode, CliError, exitCodeOf, type ExitCodeValue } from './exit-codes.js';
export { renderRunReport } from './report-table.js';
