/** Signal names and numbers as the container verbs use them (Docker's default stop signal is SIGTERM). */
import { parseSignal } from "../../sys/constants.ts";
import { engineError } from "./options.ts";

export const SIGKILL = 9;
export const SIGTERM = 15;
export const DEFAULT_STOP_TIMEOUT = 10;

export function signalNumber(spec: string | undefined, fallback = SIGTERM): number {
  if (spec === undefined || spec === "") return fallback;
  const n = parseSignal(spec);
  if (n === null) throw engineError(`Invalid signal: ${spec}`);
  return n;
}
