export { MIN_PASSWORD_LENGTH } from './access.js';
export { startConsole, type ConsoleOptions, type RunningConsole } from './console.js';
