// Host ports for user-mode networking's forwards.
import { type AddressInfo, createServer } from "node:net";

/** A TCP port free on `address` right now (QEMU binds it when the VM starts). */
export function freeHostPort(address: string): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.on("error", fail);
    s.listen(0, address, () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => done(port));
    });
  });
}
