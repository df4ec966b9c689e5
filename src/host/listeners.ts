// Binds a host's HTTP servers. A loopback address is bound on both 127.0.0.1 and ::1 with one
// port, because `localhost` resolves to either depending on the machine (wrangler and browsers
// try both): with port 0 the second address takes the port the first one got.

import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "../observability/logger.js";
import { HostError } from "./host-error.js";
import { closeServer, createHttpServer, type FetchHandler, listen } from "./http-server.js";

const TWIN: Record<string, string> = { "127.0.0.1": "::1", localhost: "::1", "::1": "127.0.0.1" };

export type Listening = { servers: Server[]; url: string };

function urlOf(address: AddressInfo): string {
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

function listenFailed(ip: string, port: number, error: NodeJS.ErrnoException, flag: string): Error {
  if (error.code !== "EADDRINUSE" && error.code !== "EADDRNOTAVAIL" && error.code !== "EACCES") return error;
  return new HostError(
    "listen.failed",
    `cannot listen on ${ip}:${port} (${error.code}); choose another with ${flag}`,
  );
}

/**
 * Serves `handle` on `ip:port`, and on the loopback twin address when `ip` is loopback. With
 * port 0, a port taken on the twin address makes it try another free port.
 */
export async function listenAll(
  handle: FetchHandler,
  port: number,
  ip: string,
  log: Logger,
  flag: string,
): Promise<Listening> {
  const onError = (error: unknown) => log.error({ err: error }, "request failed");
  const primaryIp = ip === "localhost" ? "127.0.0.1" : ip;
  for (let tries = 0; ; tries++) {
    const primary = createHttpServer(handle, onError);
    const address = await listen(primary, port, primaryIp).catch((error: NodeJS.ErrnoException) => {
      throw listenFailed(ip, port, error, flag);
    });
    const twinIp = TWIN[ip];
    if (!twinIp) return { servers: [primary], url: urlOf(address) };
    const twin = createHttpServer(handle, onError);
    try {
      await listen(twin, address.port, twinIp);
      return { servers: [primary, twin], url: urlOf(address) };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // No IPv6 (or IPv4) on this machine: the one address is all `localhost` can mean.
      if (code === "EADDRNOTAVAIL" || code === "EAFNOSUPPORT") {
        return { servers: [primary], url: urlOf(address) };
      }
      if (code === "EADDRINUSE" && port === 0 && tries < 5) {
        await closeServer(primary);
        continue;
      }
      if (code === "EADDRINUSE") {
        log.warn(
          { address: `${twinIp}:${address.port}` },
          "the port is taken on the other loopback address: 'localhost' may reach another server",
        );
        return { servers: [primary], url: urlOf(address) };
      }
      await closeServer(primary);
      throw error;
    }
  }
}
