// The address this host reaches dcmgr from: its management address, where a
// move's destination listens for the source (the hosts reach each other
// where they reach dcmgr; guests are walled off from it).
import { connect } from "node:net";

export function addressTowards(url: string, timeoutMs = 5000): Promise<string> {
  const u = new URL(url);
  const port = Number(u.port) || (u.protocol === "https:" ? 443 : 80);
  const host = u.hostname.replace(/^\[|\]$/g, "");
  return new Promise((resolve, reject) => {
    const s = connect(port, host);
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`cannot reach ${url} to learn this host's address towards it`));
    }, timeoutMs);
    s.once("connect", () => {
      clearTimeout(timer);
      const address = s.localAddress;
      s.destroy();
      if (address) resolve(address.replace(/^::ffff:/, ""));
      else reject(new Error(`no local address towards ${url}`));
    });
    s.once("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot reach ${url} to learn this host's address towards it: ${err.message}`));
    });
  });
}
