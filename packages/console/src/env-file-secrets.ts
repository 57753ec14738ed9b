import { chmod, readFile, rename, writeFile } from 'node:fs/promises';

/** Where the console keeps a secret it obtained (an OAuth access token), so that runs can reference it. */
export interface SecretStore {
  /** Where the secrets go, as the pages name it (never a value). */
  readonly where: string;
  /** Stores `value` under the environment variable `name`. */
  write(name: string, value: string): Promise<void>;
}

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Secrets in an env file (`NAME=value` lines, mode 0600): the format systemd's EnvironmentFile=, `docker run
 * --env-file` and `node --env-file` read, so every process that runs connections gets the secret as the environment
 * variable the connection references, and the runtime resolves it like any other. The variable is also set in `env`
 * (this process's environment, read by its secret resolver), so this process uses it at once.
 */
export function envFileSecretStore(path: string, env: NodeJS.ProcessEnv): SecretStore {
  return {
    where: path,
    async write(name, value) {
      if (!VARIABLE_NAME.test(name)) throw new Error(`"${name}" is not an environment variable name`);
      if (/[\r\n]/.test(value)) throw new Error(`the value for ${name} spans lines: refused in an env file`);
      const lines = (await readFile(path, 'utf8').catch(() => ''))
        .split('\n')
        .filter((line) => line !== '' && !line.startsWith(`${name}=`));
      const temporary = `${path}.${process.pid}.tmp`;
      await writeFile(temporary, [...lines, `${name}=${value}`, ''].join('\n'), { mode: 0o600 });
      await chmod(temporary, 0o600);
      await rename(temporary, path);
      env[name] = value;
    },
  };
}
