/**
 * The command table: "group sub" or top-level name -> lazy loader. Only commands that work are listed
 * (--help must not advertise what does not exist). Loaders are lazy so `bunker --version` stays fast.
 */
import type { CommandSpec } from "../_command.ts";
import type { FlagDefs } from "../_flags.ts";

// biome-ignore lint: the table holds specs of every flag shape
export type AnySpec = CommandSpec<any>;
type Loader = () => Promise<AnySpec>;

export interface Entry {
  load: Loader;
  description: string;
  /** shown in "Common Commands" */
  common?: boolean;
}

export const groups: Record<string, string> = {
  image: "Manage images",
  container: "Manage containers",
  system: "Manage bunker",
  volume: "Manage volumes",
};

/** key: "image ls" style for group members, plain name for top-level commands */
export const commands: Record<string, Entry> = {
  version: { load: () => import("./version.ts").then((m) => m.default), description: "Show the bunker version information" },
  // images (issue 3)
  "image ls": { load: () => import("./image_ls.ts").then((m) => m.default), description: "List images", common: true },
  "image import": { load: () => import("./image_import.ts").then((m) => m.default), description: "Import the contents from a tarball to create a filesystem image" },
  "image inspect": { load: () => import("./image_inspect.ts").then((m) => m.default), description: "Display detailed information on one or more images" },
  "image history": { load: () => import("./image_history.ts").then((m) => m.default), description: "Show the history of an image" },
  "image tag": { load: () => import("./image_tag.ts").then((m) => m.default), description: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE" },
  "image rm": { load: () => import("./image_rm.ts").then((m) => m.default), description: "Remove one or more images" },
  "image prune": { load: () => import("./image_prune.ts").then((m) => m.default), description: "Remove unused images" },
  // registry and archives (issue 5)
  pull: { load: () => import("./pull.ts").then((m) => m.default), description: "Download an image from a registry", common: true },
  // containers (issue 4)
  run: { load: () => import("./run.ts").then((m) => m.default), description: "Create and run a new container from an image", common: true },
  exec: { load: () => import("./exec.ts").then((m) => m.default), description: "Execute a command in a running container", common: true },
  ps: { load: () => import("./ps.ts").then((m) => m.default), description: "List containers", common: true },
  create: { load: () => import("./create.ts").then((m) => m.default), description: "Create a new container" },
  attach: { load: () => import("./attach.ts").then((m) => m.default), description: "Attach local standard input, output, and error streams to a running container" },
  start: { load: () => import("./start.ts").then((m) => m.default), description: "Start one or more stopped containers" },
  stop: { load: () => import("./stop.ts").then((m) => m.default), description: "Stop one or more running containers" },
  restart: { load: () => import("./restart.ts").then((m) => m.default), description: "Restart one or more containers" },
  kill: { load: () => import("./kill.ts").then((m) => m.default), description: "Kill one or more running containers" },
  pause: { load: () => import("./pause.ts").then((m) => m.default), description: "Pause all processes within one or more containers" },
  unpause: { load: () => import("./unpause.ts").then((m) => m.default), description: "Unpause all processes within one or more containers" },
  wait: { load: () => import("./wait.ts").then((m) => m.default), description: "Block until one or more containers stop, then print their exit codes" },
  rm: { load: () => import("./rm.ts").then((m) => m.default), description: "Remove one or more containers" },
  logs: { load: () => import("./logs.ts").then((m) => m.default), description: "Fetch the logs of a container" },
  inspect: { load: () => import("./inspect.ts").then((m) => m.default), description: "Return low-level information on Docker objects" },
  rename: { load: () => import("./rename.ts").then((m) => m.default), description: "Rename a container" },
  top: { load: () => import("./top.ts").then((m) => m.default), description: "Display the running processes of a container" },
  stats: { load: () => import("./stats.ts").then((m) => m.default), description: "Display a live stream of container(s) resource usage statistics" },
  update: { load: () => import("./update.ts").then((m) => m.default), description: "Update configuration of one or more containers" },
  "container inspect": { load: () => import("./container-inspect.ts").then((m) => m.default), description: "Display detailed information on one or more containers" },
  "container prune": { load: () => import("./container-prune.ts").then((m) => m.default), description: "Remove all stopped containers" },
  "system boot": { load: () => import("./system-boot.ts").then((m) => m.default), description: "Start containers whose restart policy asks for it (run at boot)" },
  push: { load: () => import("./push.ts").then((m) => m.default), description: "Upload an image to a registry", common: true },
  login: { load: () => import("./login.ts").then((m) => m.default), description: "Log in to a registry", common: true },
  logout: { load: () => import("./logout.ts").then((m) => m.default), description: "Log out from a registry" },
  save: { load: () => import("./save.ts").then((m) => m.default), description: "Save one or more images to a tar archive (streamed to STDOUT by default)" },
  load: { load: () => import("./load.ts").then((m) => m.default), description: "Load an image from a tar archive or STDIN" },
  // commit, diff, export, cp (issue 6)
  commit: { load: () => import("./commit.ts").then((m) => m.default), description: "Create a new image from a container's changes" },
  diff: { load: () => import("./diff.ts").then((m) => m.default), description: "Inspect changes to files or directories on a container's filesystem" },
  export: { load: () => import("./export.ts").then((m) => m.default), description: "Export a container's filesystem as a tar archive" },
  cp: { load: () => import("./cp.ts").then((m) => m.default), description: "Copy files/folders between a container and the local filesystem" },
  // volumes (issue 6)
  "volume create": { load: () => import("./volume-create.ts").then((m) => m.default), description: "Create a volume" },
  "volume ls": { load: () => import("./volume-ls.ts").then((m) => m.default), description: "List volumes" },
  "volume inspect": { load: () => import("./volume-inspect.ts").then((m) => m.default), description: "Display detailed information on one or more volumes" },
  "volume rm": { load: () => import("./volume-rm.ts").then((m) => m.default), description: "Remove one or more volumes" },
  "volume prune": { load: () => import("./volume-prune.ts").then((m) => m.default), description: "Remove unused local volumes" },
};

/** other spellings of a command: Docker's top-level shortcuts (images -> image ls) and group forms */
export const aliases: Record<string, string> = {
  images: "image ls",
  "image list": "image ls",
  import: "image import",
  history: "image history",
  tag: "image tag",
  rmi: "image rm",
  "image remove": "image rm",
  "container run": "run",
  "container exec": "exec",
  "container ls": "ps",
  "container list": "ps",
  "container ps": "ps",
  "container create": "create",
  "container attach": "attach",
  "container start": "start",
  "container stop": "stop",
  "container restart": "restart",
  "container kill": "kill",
  "container pause": "pause",
  "container unpause": "unpause",
  "container wait": "wait",
  "container rm": "rm",
  "container remove": "rm",
  "container logs": "logs",
  "container rename": "rename",
  "container top": "top",
  "container stats": "stats",
  "container update": "update",
  "image pull": "pull",
  "image push": "push",
  "image save": "save",
  "image load": "load",
  "container commit": "commit",
  "container diff": "diff",
  "container export": "export",
  "container cp": "cp",
  "volume list": "volume ls",
  "volume remove": "volume rm",
};
