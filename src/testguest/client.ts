// Talking to the Linux test guest from outside, for tests and benchmarks:
// its login check, and the metadata of a first boot.
import { connect } from "node:net";
import { type MetadataContent, passwordRules } from "../model/guest-protocol.js";

/**
 * The guest's login check: `Administrator PASSWORD` in, `OK` or `DENIED` out.
 * Retried while nothing answers (the guest is booting, or its listener is
 * between two connections).
 */
export function loginCheck(port: number, password: string, deadlineMs = 120_000, host = "127.0.0.1") {
  return askGuest(port, `Administrator ${password}`, deadlineMs, host);
}

/**
 * One line to a service of the guest at host:port, and what it answered
 * within `answerMs`; retried while nothing answers.
 */
export async function askGuest(
  port: number,
  line: string,
  deadlineMs = 120_000,
  host = "127.0.0.1",
  answerMs = 5000,
): Promise<string> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    const answer = await new Promise<string>((done) => {
      const c = connect(port, host, () => c.write(`${line}\n`));
      c.setTimeout(answerMs, () => c.destroy());
      let out = "";
      c.on("data", (d) => {
        out += d;
      });
      c.on("close", () => done(out));
      c.on("error", () => done(""));
    });
    if (answer) return answer;
    await new Promise((r) => setTimeout(r, 300));
  }
  return "";
}

/** A first-boot metadata drive's content for the test guest's one NIC, with `changes` on top. */
export function firstBootMetadata(
  publicKey: string,
  changes: Partial<MetadataContent> = {},
): MetadataContent {
  return {
    instanceId: "i-guest001",
    hostname: "guest001",
    interfaces: [
      {
        mac: "52:54:00:12:34:56",
        ipv4: "10.0.2.15",
        netmask: "255.255.255.0",
        gateway: "10.0.2.2",
        dns: "10.0.2.3",
      },
    ],
    publicKey,
    firstBoot: true,
    enableFirewall: false,
    autoActivate: null,
    productKey: null,
    retryGenPassword: passwordRules.defaultRetries,
    extraHosts: {},
    userData: null,
    ...changes,
  };
}
