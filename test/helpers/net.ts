// Loopback ports for tests.
import { type AddressInfo, createServer } from "node:net";

/** A loopback port nothing listens on (just now). */
export function freePort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => done(port));
    });
  });
}
