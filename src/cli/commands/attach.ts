import { attachContainer } from "../../engine/containers/attach-client.ts";
import type { CommandSpec } from "../_command.ts";

const flags = {
  "detach-keys": { type: "string" as const, description: "Override the key sequence for detaching a container" },
  "no-stdin": { type: "boolean" as const, description: "Do not attach STDIN" },
  "sig-proxy": { type: "boolean" as const, description: "Proxy all received signals to the process", default: true },
};

const spec: CommandSpec<typeof flags> = {
  name: "attach",
  description: "Attach local standard input, output, and error streams to a running container",
  flags,
  positionals: [{ name: "CONTAINER", description: "container" }],
  args: { min: 1, max: 1 },
  run: ({ flags, positionals }) =>
    attachContainer(positionals[0]!, { stdin: !flags["no-stdin"], sigProxy: flags["sig-proxy"], detachKeys: flags["detach-keys"] }),
};
export default spec;
