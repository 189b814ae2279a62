/**
 * @module Checking that a port on 127.0.0.1 is free before anything starts: a taken port is
 * one line naming the variable that moves it, not an EADDRINUSE stack halfway through start-up.
 */
import { createServer } from "node:net";
import { fail } from "./env";

/** A port one of the programs wants, and the variable that chooses another. */
export type WantedPort = { port: number; variable: string };

/** True when something already listens on 127.0.0.1:`port` (or it may not be bound at all). */
export function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(true));
    probe.listen({ port, host: "127.0.0.1", exclusive: true }, () => {
      probe.close(() => resolve(false));
    });
  });
}

/**
 * Exits 2 with one `port_in_use` line at the first taken port; port 0 (any free port) always
 * passes. `command` is what the hint tells the user to run with the other port.
 */
export async function ensurePortsFree(wanted: WantedPort[], command: string): Promise<void> {
  for (const { port, variable } of wanted) {
    if (port !== 0 && (await portTaken(port))) {
      const other = port < 65535 ? port + 1 : port - 1;
      fail("port_in_use", {
        port,
        variable,
        message: `127.0.0.1:${port} is already in use (an earlier run still up?); pick another port: ${variable}=${other} ${command}`,
      });
    }
  }
}
