/**
 * Put a device filter on a cgroup v2 directory (runc's LoadAttachCgroupDeviceFilter). The new program is
 * attached with BPF_F_ALLOW_MULTI next to the old ones, which come off only afterwards: the kernel allows
 * an access only when every attached program does, so during the swap the cgroup is at most as open as
 * before or after, never unfiltered.
 */
import { SysError } from "../../../../sys/errors.ts";
import type { Sys } from "../../../../sys/sys.ts";
import {
  AT_FDCWD, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI, BPF_PROG_TYPE_CGROUP_DEVICE, O_CLOEXEC, O_DIRECTORY, O_RDONLY,
} from "../../../../sys/constants.ts";
import { CgroupError } from "../../types.ts";

const LICENSE = "Apache";
const NAME = "bunker_devices";

/** Attach `program` (from deviceFilterProgram) to the cgroup at `dir`, replacing the filter it had. */
export function attachDeviceFilter(sys: Sys, dir: string, program: Uint8Array): void {
  const opened: number[] = [];
  const open = (fd: number) => (opened.push(fd), fd);
  try {
    const cg = open(sys.openat(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    const old = sys.bpfProgQuery(cg, BPF_CGROUP_DEVICE);
    const prog = open(sys.bpfProgLoad(BPF_PROG_TYPE_CGROUP_DEVICE, program, LICENSE, NAME));
    sys.bpfProgAttach(cg, prog, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI);
    for (const id of old) sys.bpfProgDetach(cg, open(sys.bpfProgGetFdById(id)), BPF_CGROUP_DEVICE);
  } catch (e) {
    if (!(e instanceof SysError)) throw e;
    throw new CgroupError(`cgroup: device filter for \`${dir}\`: ${e.message}`, { path: dir, code: e.code, cause: e });
  } finally {
    // attached programs live on in the cgroup; our fds to them are not needed
    for (const fd of opened) sys.close(fd);
  }
}
