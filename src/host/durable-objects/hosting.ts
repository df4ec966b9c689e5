// Sets up hosting Durable Objects across several processes on PostgreSQL: the lease table, this
// process's Durable Object listener (for calls the others forward) and the lease keeper that
// advertises the listener's address with each lease. On SQLite storage there is none of this:
// one process owns the state and hosts every object.

import type { Logger } from "../../observability/logger.js";
import { advertisedAddress, checkForwardSettings } from "./forward-address.js";
import { ForwardListener, type HostHere } from "./forward-listener.js";
import { LeaseKeeper, leaseMsFromEnv } from "./lease-keeper.js";
import { LeaseTable } from "./lease-table.js";
import type { Hosting } from "./object-registry.js";

export type HostingSettings = {
  storageUrl: string;
  owner: string;
  token: string | undefined;
  /** Where the Durable Object listener listens (default 127.0.0.1). */
  ip: string | undefined;
  /** The host other processes reach this one at (default: the listener's address). */
  advertise: string | undefined;
  log: Logger;
};

/** The registry's side of hosting, bound once the registry exists. */
export type HostingHooks = {
  hostHere: HostHere;
  lost: (className: string, objectId: string) => void;
};

export type OpenedHosting = {
  hosting: Hosting;
  /** Closes the listener and the table (the registry released the leases as it closed). */
  close(): Promise<void>;
};

/** Opens the lease table and the listener; `hooks` is read at each call, so it may be bound later. */
export async function openHosting(
  settings: HostingSettings,
  hooks: () => HostingHooks,
): Promise<OpenedHosting> {
  const ip = settings.ip ?? "127.0.0.1";
  checkForwardSettings(ip, settings.advertise, settings.token);
  const leaseMs = leaseMsFromEnv(process.env.CAIRN_DO_LEASE_MS);
  const table = await LeaseTable.open(settings.storageUrl);
  let listener: ForwardListener;
  let port: number;
  try {
    ({ listener, port } = await ForwardListener.open({
      ip,
      token: settings.token,
      hostHere: (object) => hooks().hostHere(object),
      log: settings.log,
    }));
  } catch (error) {
    await table.close().catch(() => {});
    throw error;
  }
  const address = advertisedAddress(ip, port, settings.advertise);
  const leases = new LeaseKeeper({
    table,
    owner: settings.owner,
    address,
    leaseMs,
    onLost: (className, objectId) => hooks().lost(className, objectId),
    log: settings.log,
  });
  leases.start();
  settings.log.info({ address, leaseMs }, "Durable Objects: forwarding calls between processes");
  return {
    hosting: { leases, token: settings.token },
    close: async () => {
      await listener.close();
      await table.close();
    },
  };
}
