/** The syscall layer's public API: the Sys interface, its real and recording versions, errors, constants. */
export type { Sys, CapSets, Rlimit, TimeSpec } from "./sys.ts";
export { SysError, Errno, errnoName, strerror } from "./errors.ts";
export { LinuxSys, linuxSys } from "./linux.ts";
export { RecordingSys, ExecveCalled, FULL_CAPS } from "./recording.ts";
export type { SysCallArgs, SysCallName, SysCallRecord, FakeBpfProgram, FakeBpfAttachment } from "./recording.ts";
export { openInRoot, fdPath, makeDev, devMajor, devMinor } from "./paths.ts";
export { openPty, setWinsize, getWinsize } from "./pty.ts";
export type { Pty, PtyOptions } from "./pty.ts";
export { SYSCALL_NUMBERS, syscallNumber } from "./ffi.ts";
export * from "./constants.ts";
