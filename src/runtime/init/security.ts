/**
 * The last steps before execve, in runc's order: drop the bounding set (needs CAP_SETPCAP, so while still
 * root), keep capabilities across the uid change, switch groups/gid/uid, set effective/permitted/
 * inheritable, raise ambient, no_new_privs, and seccomp last of all.
 *
 * Seccomp without no_new_privs needs CAP_SYS_ADMIN when the filter is installed; Docker's default has
 * neither no_new_privs nor CAP_SYS_ADMIN. runc installs the filter early for that reason, which makes the
 * profile govern its own setup calls. We keep seccomp last and instead leave CAP_SYS_ADMIN in the
 * effective/permitted sets until execve: execve recomputes both from the bounding, inheritable and ambient
 * sets (root: bounding ∪ inheritable; others: ambient), so it never reaches the user's program.
 */
import {
  CAPABILITIES, CAP_LAST_CAP, PR_CAPBSET_DROP, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, PR_CAP_AMBIENT_RAISE,
  PR_SET_KEEPCAPS, PR_SET_NO_NEW_PRIVS,
} from "../../sys/constants.ts";
import { capMask } from "../caps.ts";
import type { ProcessSpec, UserSpec } from "../spec.ts";
import type { InitContext } from "./context.ts";

const SYS_ADMIN = 1n << BigInt(CAPABILITIES.CAP_SYS_ADMIN!);

export function dropBoundingSet(ctx: InitContext, proc: ProcessSpec): void {
  const keep = capMask(proc.capabilities.bounding);
  for (let cap = 0; cap <= CAP_LAST_CAP; cap++) {
    if (!((keep >> BigInt(cap)) & 1n)) ctx.sys.prctl(PR_CAPBSET_DROP, cap);
  }
}

/**
 * Groups always (the parent's supplementary groups must not leak in); gid/uid only when they change:
 * init runs as root, and glibc's set*id signal every one of Bun's threads, ~0.2 ms each.
 */
export function switchUser(ctx: InitContext, user: UserSpec): void {
  ctx.sys.setgroups(user.additionalGids);
  if (user.gid !== 0) ctx.sys.setresgid(user.gid, user.gid, user.gid);
  if (user.uid === 0) return;
  // keep permitted caps across setresuid away from 0 (capset narrows them right after)
  ctx.sys.prctl(PR_SET_KEEPCAPS, 1);
  ctx.sys.setresuid(user.uid, user.uid, user.uid);
  ctx.sys.prctl(PR_SET_KEEPCAPS, 0);
}

export function applyCaps(ctx: InitContext, proc: ProcessSpec): void {
  const c = proc.capabilities;
  // see the file comment: CAP_SYS_ADMIN stays until execve when seccomp must be installed without no_new_privs
  const extra = proc.seccomp && !proc.noNewPrivileges ? SYS_ADMIN : 0n;
  ctx.sys.capset({
    effective: capMask(c.effective) | extra,
    permitted: capMask(c.permitted) | extra,
    inheritable: capMask(c.inheritable),
  });
  ctx.sys.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  for (const name of c.ambient) ctx.sys.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAPABILITIES[name]!, 0, 0);
}

export function applyNoNewPrivs(ctx: InitContext, proc: ProcessSpec): void {
  if (proc.noNewPrivileges) ctx.sys.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

export function applySeccomp(ctx: InitContext, proc: ProcessSpec): void {
  if (!proc.seccomp) return;
  ctx.sys.seccompSetFilter(new Uint8Array(Buffer.from(proc.seccomp, "base64")), 0);
}
