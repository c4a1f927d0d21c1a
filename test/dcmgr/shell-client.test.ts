// The original's shell client keeps working: curl, egrep/awk over .yml, and
// openssl decrypting the stored password.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { startApi } from "../helpers/api.js";
import { run } from "../helpers/cli.js";
import { repoRoot, tempDir } from "../helpers/paths.js";

const dir = tempDir("shell");
after(() => rmSync(dir, { recursive: true, force: true }));

test("curl, egrep and awk launch an instance; openssl pkeyutl decrypts its password", async () => {
  const api = await startApi("sqlite");
  try {
    const key = join(dir, "id_rsa");
    execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-N", "", "-m", "PEM", "-f", key]);
    const env = { ...process.env, DCMGR_BASE_URI: `${api.origin}/api/12.03` };
    const script = join(repoRoot, "test/fixtures/shell-client.sh");

    const launched = await run("bash", [script, "launch", key], env);
    assert.equal(launched.stderr, "");
    assert.equal(launched.code, 0);
    const [id, address, state] = launched.stdout.trim().split(" ");
    assert.match(id!, /^i-[a-z0-9]{8}$/);
    assert.equal(state, "pending");
    const shown = (await api.req("GET", `/instances/${id}.json`)).body;
    assert.equal(address, shown.address);
    assert.equal(shown.cpu_cores, 2);
    assert.equal(shown.memory_size, 4096);

    // The guest's part, done with openssl as the Linux test guest does it.
    const pem = execFileSync("ssh-keygen", ["-e", "-m", "PKCS8", "-f", `${key}.pub`]);
    const pemFile = join(dir, "pub.pem");
    execFileSync("sh", ["-c", 'cat > "$1"', "sh", pemFile], { input: pem });
    const cipher = execFileSync(
      "openssl",
      [
        "pkeyutl",
        "-encrypt",
        "-pubin",
        "-inkey",
        pemFile,
        "-pkeyopt",
        "rsa_padding_mode:oaep",
        "-pkeyopt",
        "rsa_oaep_md:sha1",
      ],
      { input: "wvh?^A&}&}" },
    );
    assert.equal(cipher.length, 256);
    const agentToken = await api.token("host_node", "hn-demo1");
    const stored = await api.report(agentToken, id, "password", {
      encrypted_password: cipher.toString("base64"),
    });
    assert.equal(stored.status, 200);

    const decrypted = await run("bash", [script, "decrypt", id!, key], env);
    assert.equal(decrypted.stderr, "");
    assert.equal(decrypted.stdout, "wvh?^A&}&}");
  } finally {
    await api.close();
  }
});
