import { eraseCredentials } from "../../registry/credentials.ts";
import { credentialKey } from "../../registry/hosts.ts";
import type { CommandSpec } from "../_command.ts";
import { serverHost } from "./login.ts";

const spec: CommandSpec<Record<string, never>> = {
  name: "logout",
  description: "Log out from a registry",
  flags: {},
  positionals: [{ name: "SERVER", description: "registry host (default docker.io)" }],
  args: { max: 1 },
  async run({ positionals }) {
    const host = serverHost(positionals[0]);
    const shown = credentialKey(host);
    if (!(await eraseCredentials(host))) {
      process.stdout.write(`Not logged in to ${shown}\n`);
      return;
    }
    process.stdout.write(`Removing login credentials for ${shown}\n`);
  },
};
export default spec;
