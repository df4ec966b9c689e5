// Keeps this process's object-host leases: takes one before an object opens here, renews all of
// them in one statement every third of the lease, and releases them when the host stops. An
// object whose renewal failed (another process took it over while this one was paused, or the
// database was unreachable for longer than the lease) is reported lost, so that the registry
// closes it and later calls look it up again. Between renewals, `isCurrent` tells by this
// process's monotonic clock whether the lease may have run out: that is the check made before
// each event, and it costs no round trip.

import { performance } from "node:perf_hooks";
import type { Logger } from "../../observability/logger.js";
import { leaseMsSetting } from "../lease-setting.js";
import type { HeldLease, LeaseClaim, LeaseTable } from "./lease-table.js";

/** How long a lease lasts unless CAIRN_DO_LEASE_MS (tests only) says otherwise. */
export const DEFAULT_LEASE_MS = 15_000;
/** A claim that met a concurrent first claim is retried this many times. */
const CLAIM_TRIES = 3;

/** The lease length from CAIRN_DO_LEASE_MS, or the default; a bad value is refused by name. */
export function leaseMsFromEnv(value: string | undefined): number {
  return leaseMsSetting("CAIRN_DO_LEASE_MS", value, DEFAULT_LEASE_MS);
}

type Held = { className: string; objectId: string; token: string; confirmedAt: number };

export type LeaseKeeperOptions = {
  table: LeaseTable;
  /** This process's name in the lease rows. */
  owner: string;
  /** Where other processes forward calls to objects this process hosts. */
  address: string;
  leaseMs: number;
  /** Told of an object whose lease this process no longer holds. */
  onLost: (className: string, objectId: string) => void;
  log: Logger;
};

const keyOf = (className: string, objectId: string) => `${className}/${objectId}`;

export class LeaseKeeper {
  private readonly options: LeaseKeeperOptions;
  private readonly held = new Map<string, Held>();
  private timer: NodeJS.Timeout | null = null;
  private renewing: Promise<void> | null = null;

  constructor(options: LeaseKeeperOptions) {
    this.options = options;
  }

  get leaseMs(): number {
    return this.options.leaseMs;
  }

  /** Starts the renewal loop. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(
      () => {
        if (!this.renewing) this.renewing = this.renewAll().finally(() => (this.renewing = null));
      },
      Math.floor(this.options.leaseMs / 3),
    );
    this.timer.unref();
  }

  /** Takes (or extends) the lease of one object; answers whether it is this process's now. */
  async claim(className: string, objectId: string): Promise<LeaseClaim> {
    const { table, owner, address, leaseMs } = this.options;
    for (let tries = 1; ; tries++) {
      // Measured before the statement is sent: the server's expiry can only be later than this.
      const sentAt = performance.now();
      const claim = await table.claim(className, objectId, owner, address, leaseMs);
      if (claim?.mine) {
        this.held.set(keyOf(className, objectId), {
          className,
          objectId,
          token: claim.token,
          confirmedAt: sentAt,
        });
        return claim;
      }
      if (claim) {
        this.held.delete(keyOf(className, objectId));
        return claim;
      }
      if (tries >= CLAIM_TRIES) {
        throw new Error(`the lease of Durable Object ${className} ${objectId} kept changing hands`);
      }
    }
  }

  /** True while the lease of the object is surely still this process's (no round trip). */
  isCurrent(className: string, objectId: string): boolean {
    const held = this.held.get(keyOf(className, objectId));
    return held !== undefined && performance.now() - held.confirmedAt < this.options.leaseMs;
  }

  /** Gives up the lease of one object (its file was not opened after all). */
  async release(className: string, objectId: string): Promise<void> {
    const held = this.held.get(keyOf(className, objectId));
    if (!held) return;
    this.held.delete(keyOf(className, objectId));
    await this.options.table.release(this.options.owner, [held]);
  }

  /** Stops renewing and releases every lease this process holds. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.renewing;
    const all = [...this.held.values()];
    this.held.clear();
    try {
      await this.options.table.release(this.options.owner, all);
    } catch (error) {
      this.options.log.warn(
        { err: error, objects: all.length },
        "releasing the Durable Object leases failed; they expire on their own",
      );
    }
  }

  /** One renewal statement for every held lease; the ones not renewed are lost. */
  private async renewAll(): Promise<void> {
    const leases: HeldLease[] = [...this.held.values()];
    if (leases.length === 0) return;
    const sentAt = performance.now();
    let renewed: HeldLease[];
    try {
      renewed = await this.options.table.renew(this.options.owner, leases, this.options.leaseMs);
    } catch (error) {
      this.options.log.warn({ err: error }, "renewing the Durable Object leases failed; retrying");
      this.loseExpired();
      return;
    }
    const kept = new Set(renewed.map((r) => `${keyOf(r.className, r.objectId)}#${r.token}`));
    for (const lease of leases) {
      const key = keyOf(lease.className, lease.objectId);
      const current = this.held.get(key);
      // Claimed again while the renewal ran: that claim's answer stands.
      if (current !== undefined && current.token !== lease.token) continue;
      if (kept.has(`${key}#${lease.token}`)) {
        if (current) current.confirmedAt = sentAt;
      } else if (current) {
        this.lose(current, "another process took it over");
      }
    }
  }

  /** The database could not be reached: leases that may have run out by now are lost. */
  private loseExpired(): void {
    for (const held of [...this.held.values()]) {
      if (!this.isCurrent(held.className, held.objectId)) this.lose(held, "it could not be renewed in time");
    }
  }

  private lose(held: Held, why: string): void {
    this.held.delete(keyOf(held.className, held.objectId));
    this.options.log.warn(
      { className: held.className, id: held.objectId, token: held.token },
      `lost the lease of a Durable Object (${why}); closing it here`,
    );
    this.options.onLost(held.className, held.objectId);
  }
}
