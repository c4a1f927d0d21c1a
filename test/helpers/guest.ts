// Talking to the Linux test guest from a test.
import { connect } from "node:net";

/**
 * The guest's login check: `Administrator PASSWORD` in, `OK` or `DENIED` out.
 * Retried while nothing answers (the guest is booting, or its listener is
 * between two connections).
 */
export async function loginCheck(port: number, password: string, deadlineMs = 120_000): Promise<string> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    const answer = await new Promise<string>((done) => {
      const c = connect(port, "127.0.0.1", () => c.write(`Administrator ${password}\n`));
      c.setTimeout(5000, () => c.destroy());
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
