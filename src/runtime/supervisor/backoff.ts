/**
 * Docker's restart manager (moby restartmanager.go): whether a container that just exited comes back,
 * and after how long. The delay starts at 100 ms and doubles on each restart up to one minute; a run
 * that lasted 10 s or more resets it. A manual stop cancels every policy.
 */
export interface Policy {
  name: "" | "no" | "always" | "unless-stopped" | "on-failure";
  maxRetries: number;
}

const DEFAULT_MS = 100;
const MAX_MS = 60_000;
const RESET_AFTER_MS = 10_000;

export class RestartManager {
  #timeout: number;
  constructor(
    readonly policy: Policy,
    public restartCount = 0,
    /** the current back-off, carried across the supervisor's re-execs (see idle.ts) */
    timeout = 0,
  ) {
    this.#timeout = timeout;
  }

  get timeout(): number {
    return this.#timeout;
  }

  /** null: do not restart; otherwise the delay before the next start (restartCount already bumped) */
  next(exitCode: number, manuallyStopped: boolean, ranMs: number): number | null {
    const p = this.policy;
    if (p.name === "" || p.name === "no" || manuallyStopped) return null;
    if (ranMs >= RESET_AFTER_MS) this.#timeout = 0;
    this.#timeout = this.#timeout === 0 ? DEFAULT_MS : Math.min(this.#timeout * 2, MAX_MS);
    let restart = false;
    if (p.name === "always" || p.name === "unless-stopped") restart = true;
    else if (p.name === "on-failure" && (p.maxRetries === 0 || this.restartCount < p.maxRetries)) restart = exitCode !== 0;
    if (!restart) return null;
    this.restartCount++;
    return this.#timeout;
  }
}
