// The address a process advertises with its object-host leases, where the other processes forward
// calls to the objects it hosts: `http://<host>:<port>` with the port its Durable Object listener
// got, and the host from --advertise, else the listener's own address (--objects-ip). A wildcard
// listener address (0.0.0.0, ::) is no address to call, so it needs --advertise; and a listener
// other machines can reach needs the API token, as the admin listener does.

import { isIP } from "node:net";
import { isLoopbackAddress } from "../../server/request-guard.js";
import { HostError } from "../host-error.js";

const WILDCARDS = new Set(["0.0.0.0", "::", ""]);

/** Checks the listener's settings before it opens; throws HostError naming the flag to fix. */
export function checkForwardSettings(
  ip: string,
  advertise: string | undefined,
  token: string | undefined,
): void {
  if (advertise !== undefined && !/^[A-Za-z0-9.:\-[\]]+$/.test(advertise)) {
    throw new HostError(
      "config.invalid",
      `--advertise takes a host name or IP address other processes reach this one at (no scheme, port or path); got ${JSON.stringify(advertise)}`,
    );
  }
  if (WILDCARDS.has(ip) && advertise === undefined) {
    throw new HostError(
      "config.invalid",
      `--objects-ip ${ip} listens on every address; say which one other processes reach this one at with --advertise <host>`,
    );
  }
  if (!token && !isLoopbackAddress(ip)) {
    throw new HostError(
      "api.token_required",
      `--objects-ip ${ip} makes forwarded Durable Object calls reachable from other machines; set a token with --api-token or CAIRN_API_TOKEN (the same on every process)`,
    );
  }
}

/** The URL other processes forward to. */
export function advertisedAddress(ip: string, port: number, advertise: string | undefined): string {
  const host = (advertise ?? ip).replace(/^\[|\]$/g, "");
  return `http://${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}
