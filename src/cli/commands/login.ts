import { BunkerError, UsageError } from "../../errors.ts";
import { storeCredentials } from "../../registry/credentials.ts";
import { verifyLogin } from "../../registry/login.ts";
import { DEFAULT_DOMAIN } from "../../image/reference.ts";
import type { CommandSpec } from "../_command.ts";
import { log } from "../_log.ts";

const flags = {
  username: { type: "string", alias: "u", description: "Username", valueHint: "string" },
  password: { type: "string", alias: "p", description: "Password", valueHint: "string" },
  "password-stdin": { type: "boolean", description: "Take the password from stdin" },
} as const;

/** "https://index.docker.io/v1/", "docker.io", "http://host:5000/" -> registry host */
export function serverHost(arg: string | undefined): string {
  if (!arg) return DEFAULT_DOMAIN;
  const h = arg.replace(/^https?:\/\//, "").replace(/\/.*$/, "");
  return h === "index.docker.io" || h === "registry-1.docker.io" ? DEFAULT_DOMAIN : h;
}

async function readLine(prompt: string, hide: boolean): Promise<string> {
  process.stderr.write(prompt);
  if (hide) Bun.spawnSync(["stty", "-echo"], { stdin: "inherit" });
  try {
    for await (const line of console) return line;
    return "";
  } finally {
    if (hide) {
      Bun.spawnSync(["stty", "echo"], { stdin: "inherit" });
      process.stderr.write("\n");
    }
  }
}

const spec: CommandSpec<typeof flags> = {
  name: "login",
  description: "Log in to a registry",
  flags,
  positionals: [{ name: "SERVER", description: "registry host (default docker.io)" }],
  args: { max: 1 },
  async run({ flags: f, positionals }) {
    const host = serverHost(positionals[0]);
    let password = f.password;
    if (f["password-stdin"]) {
      if (password !== undefined) throw new UsageError("--password and --password-stdin are mutually exclusive");
      if (!f.username) throw new UsageError("Must provide --username with --password-stdin");
      password = (await new Response(Bun.stdin.stream()).text()).replace(/\r?\n$/, "");
    } else if (password !== undefined) {
      log.warn("Using --password via the CLI is insecure. Use --password-stdin.");
    }
    let username = f.username;
    if (!username || password === undefined) {
      if (!process.stdin.isTTY) throw new BunkerError("Cannot perform an interactive login from a non TTY device");
      username ||= (await readLine("Username: ", false)).trim();
      password ??= await readLine("Password: ", true);
    }
    if (!username) throw new BunkerError("Username cannot be empty");
    if (!password) throw new BunkerError("Password cannot be empty");
    await verifyLogin(host, { username, secret: password });
    const where = await storeCredentials(host, { username, secret: password });
    if (!where.helper) {
      log.warn(`Your password will be stored unencrypted in ${where.file}.\nConfigure a credential helper to remove this warning. See\nhttps://docs.docker.com/engine/reference/commandline/login/#credential-stores\n`);
    }
    process.stdout.write("Login Succeeded\n");
  },
};
export default spec;
