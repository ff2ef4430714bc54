import { execContainer } from "../../engine/containers/index.ts";
import type { CommandSpec } from "../_command.ts";

const flags = {
  interactive: { type: "boolean" as const, alias: "i", description: "Keep STDIN open even if not attached" },
  tty: { type: "boolean" as const, alias: "t", description: "Allocate a pseudo-TTY" },
  detach: { type: "boolean" as const, alias: "d", description: "Detached mode: run command in the background" },
  env: { type: "list" as const, alias: "e", description: "Set environment variables" },
  "env-file": { type: "list" as const, description: "Read in a file of environment variables" },
  user: { type: "string" as const, alias: "u", description: "Username or UID (format: \"<name|uid>[:<group|gid>]\")" },
  workdir: { type: "string" as const, alias: "w", description: "Working directory inside the container" },
  privileged: { type: "boolean" as const, description: "Give extended privileges to the command" },
};

const spec: CommandSpec<typeof flags> = {
  name: "exec",
  description: "Execute a command in a running container",
  flags,
  positionals: [{ name: "CONTAINER", description: "container" }, { name: "COMMAND", description: "command" }, { name: "ARG", description: "its arguments" }],
  args: { min: 2 },
  stopAtFirstPositional: true,
  async run({ flags: f, positionals }) {
    const [ref, ...cmd] = positionals;
    const code = await execContainer(ref!, {
      cmd,
      interactive: f.interactive,
      tty: f.tty,
      detach: f.detach,
      env: f.env,
      envFiles: f["env-file"],
      user: f.user,
      workdir: f.workdir,
      privileged: f.privileged,
    });
    // -d: the process lives on inside the container; Bun would otherwise wait for its child handle
    if (f.detach) process.exit(code);
    return code;
  },
};
export default spec;
