/** A variable's value, trimmed; a variable set but empty (or blank) counts as unset, as everywhere in cdp. */
export function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}
