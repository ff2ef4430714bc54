import { commit, version } from "../../version.ts";
import type { CommandSpec } from "../_command.ts";

const spec: CommandSpec<{ format: { type: "string"; alias: "f"; description: string } }> = {
  name: "version",
  description: "Show the bunker version information",
  flags: { format: { type: "string", alias: "f", description: "Format output using a Go template (json supported)" } },
  args: { max: 0 },
  run({ flags }) {
    const info = { Version: version, GitCommit: commit, Os: process.platform, Arch: process.arch === "x64" ? "amd64" : process.arch, BunVersion: Bun.version };
    if (flags.format === "json" || flags.format === "{{json .}}") {
      process.stdout.write(JSON.stringify(info) + "\n");
      return;
    }
    process.stdout.write(
      `Version:     ${info.Version}\nGit commit:  ${info.GitCommit}\nOS/Arch:     ${info.Os}/${info.Arch}\nBun:         ${info.BunVersion}\n`,
    );
  },
};
export default spec;
