/**
 * `-u user[:group]` and `--group-add` resolved the way runc's libcontainer/user does, against the
 * container's own /etc/passwd and /etc/group (never the host's). The files are read through a
 * function so the same code serves create (image snapshot dirs) and exec (/proc/<pid>/root).
 */
import { lstatSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BunkerError } from "../../errors.ts";

export type FileReader = (path: string) => string | null;

export interface ExecUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}
interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

function parsePasswd(text: string | null): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of (text ?? "").split("\n")) {
    const f = line.trim().split(":");
    if (f.length < 4 || line.startsWith("#")) continue;
    const uid = Number(f[2]), gid = Number(f[3]);
    if (!Number.isInteger(uid) || !Number.isInteger(gid)) continue;
    out.push({ name: f[0]!, uid, gid, home: f[5] ?? "" });
  }
  return out;
}

function parseGroup(text: string | null): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of (text ?? "").split("\n")) {
    const f = line.trim().split(":");
    if (f.length < 3 || line.startsWith("#")) continue;
    const gid = Number(f[2]);
    if (!Number.isInteger(gid)) continue;
    out.push({ name: f[0]!, gid, members: (f[3] ?? "").split(",").filter(Boolean) });
  }
  return out;
}

const isNum = (s: string) => /^\d+$/.test(s);

export function resolveUser(spec: string, groupAdd: string[], read: FileReader): ExecUser {
  const [userPart = "", groupPart] = spec.split(":", 2);
  const passwd = parsePasswd(read("/etc/passwd"));
  const groups = parseGroup(read("/etc/group"));
  const u = userPart === "" ? "0" : userPart;

  let entry: PasswdEntry | undefined;
  if (isNum(u)) entry = passwd.find((p) => p.uid === Number(u));
  else {
    entry = passwd.find((p) => p.name === u);
    if (!entry) throw new BunkerError(`unable to find user ${u}: no matching entries in passwd file`, { exitCode: 125 });
  }
  const uid = isNum(u) ? Number(u) : entry!.uid;
  let gid = entry?.gid ?? 0;
  if (groupPart !== undefined && groupPart !== "") {
    if (isNum(groupPart)) gid = Number(groupPart);
    else {
      const g = groups.find((x) => x.name === groupPart);
      if (!g) throw new BunkerError(`unable to find group ${groupPart}: no matching entries in group file`, { exitCode: 125 });
      gid = g.gid;
    }
  }
  // supplementary groups: those naming the user as a member (only without an explicit group, like runc)
  const additional = new Set<number>();
  if (entry && groupPart === undefined) for (const g of groups) if (g.members.includes(entry.name)) additional.add(g.gid);
  for (const ga of groupAdd) {
    if (isNum(ga)) additional.add(Number(ga));
    else {
      const g = groups.find((x) => x.name === ga);
      if (!g) throw new BunkerError(`Unable to find group ${ga}: no matching entries in group file`, { exitCode: 125 });
      additional.add(g.gid);
    }
  }
  return { uid, gid, additionalGids: [...additional], home: entry?.home || "/" };
}

/**
 * Reads a file from a stack of overlay layers (upper dir first, then lowers top-most first), stopping at
 * a whiteout (a 0/0 character device) the way overlayfs would.
 */
export function layeredReader(dirs: string[]): FileReader {
  return (path) => {
    for (const d of dirs) {
      const p = join(d, path);
      try {
        const st = lstatSync(p);
        if (st.isCharacterDevice() && st.rdev === 0) return null;
        if (st.isFile()) return readFileSync(p, "utf8");
        return null;
      } catch {}
    }
    return null;
  };
}

/** the running container's own view of its files */
export function procRootReader(pid: number): FileReader {
  return (path) => {
    try {
      return readFileSync(`/proc/${pid}/root${path}`, "utf8");
    } catch {
      return null;
    }
  };
}
