// mussel against a real dcmgr: the original's words, its rc files, and
// decrypt_password with every private-key format.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { createPublicKey } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { parse as parseYaml } from "yaml";
import { encryptPassword } from "../../src/model/password-crypto.js";
import { readPrivateKey } from "../../src/model/ssh-private-key.js";
import { blankBackupObject, startApi, type TestApi } from "../helpers/api.js";
import { run } from "../helpers/cli.js";
import { freePort } from "../helpers/net.js";
import { repoRoot, tempDir } from "../helpers/paths.js";
import { imageRow } from "../helpers/stores.js";

const home = tempDir("mussel-home");
const keys = join(home, "keys");
mkdirSync(keys);
after(() => rmSync(home, { recursive: true, force: true }));

/** Runs script(1) with `args`, types `answer` once `prompt` shows, and returns all it printed. */
function typeAtPrompt(args: string[], prompt: string, answer: string): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn("script", args, { env: { PATH: process.env.PATH, HOME: home } });
    let out = "";
    let typed = false;
    child.stdout.on("data", (d) => {
      out += d;
      if (!typed && out.includes(prompt)) {
        typed = true;
        child.stdin.write(answer);
      }
    });
    child.on("error", fail);
    child.on("close", () => done(out));
  });
}

function keygen(name: string, args: string[] = []): string {
  const file = join(keys, name);
  execFileSync("ssh-keygen", [
    "-q",
    "-t",
    "rsa",
    "-b",
    "2048",
    "-f",
    file,
    ...(args.includes("-N") ? args : ["-N", "", ...args]),
  ]);
  return file;
}

describe("mussel", () => {
  let api: TestApi;
  let env: NodeJS.ProcessEnv;
  let agentToken: string;
  const mussel = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
    run(process.execPath, [resolve(repoRoot, "bin/mussel.js"), ...args], { ...env, ...extra });
  const ok = async (...args: string[]) => {
    const r = await mussel(args);
    assert.equal(r.stderr, "", `mussel ${args.join(" ")}`);
    assert.equal(r.code, 0);
    return r.stdout;
  };

  before(async () => {
    api = await startApi("sqlite");
    agentToken = await api.token("host_node", "hn-demo1");
    const port = new URL(api.origin).port;
    // As a user would set it up: ~/.musselrc names the server; nothing in the environment.
    writeFileSync(
      join(home, ".musselrc"),
      `# mine\nDCMGR_HOST=127.0.0.1\nDCMGR_PORT=${port}\naccount_id=a-shpoolxx\n`,
    );
    env = { PATH: process.env.PATH, HOME: home };
  });
  after(() => api.close());

  /** Launches a Windows instance for `keyFile` and stores a password encrypted for it, as the agent would. */
  async function instanceWithPassword(keyFile: string, password: string, passphrase?: string) {
    const keyId = (
      await ok("ssh_key_pair", "create", "--public-key", `${keyFile}.pub`, "--display-name", "k")
    ).match(/^:id: (\S+)$/m)![1]!;
    const created = await ok(
      "instance",
      "create",
      "--image-id",
      "wmi-windows2008r2",
      "--instance-spec-name",
      "kvm.small",
      "--ssh-key-id",
      keyId,
    );
    const id = created.match(/^:id: (\S+)$/m)![1]!;
    const pub = createPublicKey(readPrivateKey(readFileSync(keyFile, "utf8"), passphrase));
    await api.report(agentToken, id, "password", {
      encrypted_password: encryptPassword(pub, password),
    });
    return { id, keyId };
  }

  test("a name with escape sequences, stored before names were checked, prints as text: YAML, --json and the terminal", async () => {
    const key = keygen("hostile-name");
    const id = (await ok("ssh_key_pair", "create", "--public-key", `${key}.pub`)).match(/^:id: (\S+)$/m)![1]!;
    const hostile = "k\u001b[2J\u001b]0;pwned\u0007\u009b";
    await api.store.db
      .updateTable("ssh_key_pairs")
      .set({ display_name: hostile })
      .where("id", "=", id)
      .execute();
    const raw = (text: string) =>
      [...text].find((c) => c !== "\n" && (c < " " || (c >= "\u007f" && c <= "\u009f")));
    const yml = await ok("ssh_key_pair", "show", id);
    assert.equal(raw(yml), undefined, "no raw control character in the YAML");
    assert.equal(
      (parseYaml(yml) as Record<string, string>)[":display_name"],
      hostile,
      "the same text, read back",
    );
    const json = await ok("ssh_key_pair", "show", id, "--json");
    assert.equal(raw(json), undefined, "no raw control character in the JSON");
    assert.equal(JSON.parse(json).display_name, hostile);
    // And the name cannot be given again: the API refuses it.
    const refused = await mussel(["ssh_key_pair", "update", id, "--display-name", hostile]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /--display-name: holds the control character \\x1b/);
    assert.equal(raw(refused.stderr.replace(/\n/g, "")), undefined, "the error message prints as text too");
  });

  test("the rc file finds the server; YAML by default, --json on request", async () => {
    const yml = await ok("instance_spec", "index");
    assert.match(yml, /^---\n- :total: 3\n/);
    const asJson = await mussel(["instance_spec", "show", "kvm.xlarge"], { DCMGR_RESPONSE_FORMAT: "json" });
    assert.deepEqual(JSON.parse(asJson.stdout).memory_size, 4096);
    const json = JSON.parse(await ok("image", "show", "wmi-windows2008r2", "--json"));
    assert.deepEqual([json.os_type, json.features], ["windows", { virtio: true }]);
    const closed = await freePort();
    const r = await mussel(["host_node", "index"], { DCMGR_PORT: String(closed) });
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `mussel: cannot reach dcmgr at http://127.0.0.1:${closed}/api/12.03 (ECONNREFUSED): is it running? (DCMGR_HOST, DCMGR_PORT, DCMGR_SCHEME)\n`,
    );
  });

  test("decrypt_password prints only the password, for PKCS#1, PKCS#8 and OpenSSH keys", async () => {
    const pem = keygen("pem", ["-m", "PEM"]);
    const pkcs8 = join(keys, "pkcs8");
    execFileSync("openssl", ["pkcs8", "-topk8", "-nocrypt", "-in", pem, "-out", pkcs8]);
    execFileSync("cp", [`${pem}.pub`, `${pkcs8}.pub`]);
    const openssh = keygen("openssh");
    for (const file of [pem, pkcs8, openssh]) {
      const { id } = await instanceWithPassword(file, "wvh?^A&}&}");
      const r = await mussel(["instance", "decrypt_password", id, file]);
      assert.equal(r.stderr, "");
      assert.equal(r.stdout, "wvh?^A&}&}\n", file);
    }
  });

  test("a passphrase comes from MUSSEL_KEY_PASSPHRASE; a wrong or missing one is named", async () => {
    const file = keygen("locked", ["-N", "open sesame"]);
    const { id } = await instanceWithPassword(file, "Pa55w0rd!#", "open sesame");
    const r = await mussel(["instance", "decrypt_password", id, file], {
      MUSSEL_KEY_PASSPHRASE: "open sesame",
    });
    assert.equal(r.stdout, "Pa55w0rd!#\n");
    const wrong = await mussel(["instance", "decrypt_password", id, file], { MUSSEL_KEY_PASSPHRASE: "nope" });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /locked: the key's passphrase is wrong/);
    // On a terminal (a pty from script(1)), mussel asks for it and does not echo the answer.
    const onTerminal = await typeAtPrompt(
      [
        "-qec",
        `${process.execPath} ${resolve(repoRoot, "bin/mussel.js")} instance decrypt_password ${id} ${file}`,
        "/dev/null",
      ],
      "Passphrase for",
      "open sesame\r",
    );
    assert.match(onTerminal, new RegExp(`Passphrase for ${file}: \\r?\\n?Pa55w0rd!#`));
    assert.doesNotMatch(onTerminal, /open sesame/);
    const none = await mussel(["instance", "decrypt_password", id, file]);
    assert.match(
      none.stderr,
      /is protected by a passphrase: set MUSSEL_KEY_PASSPHRASE, or run mussel on a terminal/,
    );
  });

  test("the wrong key, and no password yet, say what is going on", async () => {
    const right = keygen("right");
    const other = keygen("other");
    const { id, keyId } = await instanceWithPassword(right, "x!y@z12345");
    const wrong = await mussel(["instance", "decrypt_password", id, other]);
    assert.equal(wrong.code, 1);
    assert.equal(
      wrong.stderr,
      `mussel: this key does not decrypt the password of ${id} (was the instance launched with ${keyId}?)\n`,
    );
    assert.equal(wrong.stdout, "");

    const fresh = await ok(
      "instance",
      "create",
      "--image-id",
      "wmi-windows2008r2",
      "--instance-spec-name",
      "kvm.small",
      "--ssh-key-id",
      keyId,
      "--json",
    );
    const freshId = JSON.parse(fresh).id;
    const early = await mussel(["instance", "decrypt_password", freshId, right]);
    assert.equal(
      early.stderr,
      `mussel: ${freshId} has no password yet: it is pending; the password appears once its first boot ends (or it was deleted)\n`,
    );
    const missing = await mussel(["instance", "decrypt_password", freshId, join(keys, "absent")]);
    assert.match(missing.stderr, /cannot read the key file .*absent: ENOENT/);
  });

  test("show_password and delete_password", async () => {
    const file = keygen("pw");
    const { id } = await instanceWithPassword(file, "abc!def#12");
    assert.match(await ok("instance", "show_password", id), /:encrypted_password: \|\n/);
    await ok("instance", "delete_password", id);
    const r = await mussel(["instance", "show_password", id]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no encrypted password for .* \(PasswordNotInDatabase\)/);
  });

  test("security groups from a rule file, instances with groups, index by state, destroy", async () => {
    const ruleFile = join(home, "rules.txt");
    writeFileSync(ruleFile, "# rdp\ntcp:3389,3389,ip4:0.0.0.0\n");
    const group = JSON.parse(await ok("security_group", "create", "--rule", ruleFile, "--json"));
    assert.equal(group.rule, "# rdp\ntcp:3389,3389,ip4:0.0.0.0\n");
    const key = JSON.parse(await ok("ssh_key_pair", "create", "--json"));
    assert.match(key.private_key, /BEGIN RSA PRIVATE KEY/);
    const i = JSON.parse(
      await ok(
        "instance",
        "create",
        "--image-id=wmi-windows2008r2",
        "--cpu-cores=1",
        "--memory-size=512",
        `--ssh-key-id=${key.id}`,
        `--security-groups=${group.id}`,
        "--json",
      ),
    );
    assert.deepEqual(i.vif[0].security_groups, [group.id]);
    assert.match(await ok("instance", "index", "--state", "pending"), new RegExp(`:id: ${i.id}`));
    await ok("instance", "destroy", i.id);
    assert.match(await ok("instance", "show", i.id), /^:state: terminated$/m);
    const refused = await mussel(["instance", "poweroff", i.id]);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /is terminated: poweroff needs it running or initializing \(InvalidInstanceState\)/,
    );
    const bad = await mussel(["security_group", "create", "--rule", "tcp:1,2"]);
    assert.match(
      bad.stderr,
      /^mussel: rule line 1 'tcp:1,2': write PROTO:FROM,TO,SOURCE.* \(InvalidSecurityGroupRule\)\n$/,
    );
  });

  test("image destroy and backup_object destroy: the image, then its file; in use, the reason", async () => {
    await blankBackupObject(api, "bo-gone", 512);
    await api.store.db
      .insertInto("images")
      .values(imageRow({ id: "wmi-gone", backup_object_id: "bo-gone" }))
      .execute();
    const inUse = await mussel(["backup_object", "destroy", "bo-gone"]);
    assert.equal(inUse.code, 1);
    assert.match(
      inUse.stderr,
      /bo-gone is still in use: image wmi-gone is made from it: .*\(ExistsRegisteredInstance\)/,
    );
    assert.match(await ok("image", "destroy", "wmi-gone"), /^- wmi-gone$/m);
    assert.match(await ok("backup_object", "destroy", "bo-gone"), /^- bo-gone$/m);
    assert.equal(existsSync(join(api.t.home, "images", "bo-gone.raw")), false);
  });

  test("the command line: help, unknown commands and options", async () => {
    const help = await mussel(["instance", "--help"]);
    assert.match(help.stdout, /decrypt_password\s+Decrypt the initial password/);
    const unknown = await mussel(["instance", "start", "i-x"]);
    assert.equal(unknown.code, 2);
    assert.match(
      unknown.stderr,
      /unknown command 'start' for 'mussel instance': use one of index, show, create/,
    );
    const option = await mussel(["instance", "create", "--image", "wmi-x"]);
    assert.equal(option.code, 2);
    assert.match(
      option.stderr,
      /unknown option --image for 'mussel instance create': did you mean --image-id\?/,
    );
  });
});
