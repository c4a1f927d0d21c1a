// A backup made on one host launches on another, through a WebDAV backup
// storage every host reaches (nginx's DAV module, on this machine, which the
// namespaced hosts reach over the management bridge as they reach dcmgr):
// `wakame up --hosts 2 --network bridge --backup-storage bkst-dav`.
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { managementUrl } from "../../src/cli/wakame/several-hosts.js";
import { defaultNetwork } from "../../src/model/vocabulary.js";
import { askGuest, loginCheck } from "../../src/testguest/client.js";
import { vdcManage } from "../helpers/cli.js";
import { lockHosts } from "../helpers/hosts-lock.js";
import { launchTestwin, musselWith } from "../helpers/mussel.js";
import { freePort } from "../helpers/net.js";
import { withoutNetns } from "../helpers/netns.js";
import { tempDir } from "../helpers/paths.js";
import { rsaKey } from "../helpers/process-cloud.js";
import { startUp, upEnv } from "../helpers/wakame-up.js";
import { nginxMissing, type WebDav, webDav } from "../helpers/webdav.js";

const skip =
  withoutNetns || nginxMissing || (!existsSync("/usr/sbin/dnsmasq") && "needs dnsmasq (dnsmasq-base)");
const home = tempDir("backup-hosts");
let cloud: ReturnType<typeof startUp>;
let mussel: ReturnType<typeof musselWith>;
let dav: WebDav;

/** The namespaced hosts are this file's while it runs (hosts-lock.ts). */
let unlock = () => {};

before(async () => {
  if (skip) return;
  unlock = await lockHosts();
  const port = await freePort();
  const env = upEnv(home, port);
  mussel = musselWith(env);
  dav = await webDav(join(home, "dav"));
  // The operator's storage, registered before the cloud starts, at the address the hosts reach.
  const uri = `http://${new URL(managementUrl(port)).hostname}:${dav.port}/backups/`;
  await vdcManage(
    ["backupstorage", "add", "--uuid", "bkst-dav", "--base-uri", uri, "--storage-type", "webdav"],
    env,
  );
  cloud = startUp(env, port, {
    extra: ["--network", "bridge", "--hosts", "2", "--backup-storage", "bkst-dav"],
  });
  await cloud.ready();
});

after(async () => {
  if (skip) return;
  await cloud?.stop();
  unlock();
  await dav?.stop();
  rmSync(home, { recursive: true, force: true });
});

test("a generalized backup of an instance on hn-h1, stored by WebDAV, launches on hn-h2 with a new password and the source's disk", {
  skip,
}, async () => {
  const keyA = rsaKey(join(home, "key-a"));
  const keyB = rsaKey(join(home, "key-b"));
  const idOf = async (file: string) =>
    JSON.parse(await mussel("ssh_key_pair", "create", "--public-key", `${file}.pub`)).id as string;
  const group = JSON.parse(
    // 7777: the test guest's probe, asked from here: the attacker's side of the storage.
    await mussel(
      "security_group",
      "create",
      "--rule",
      "tcp:3389,3389,ip4:0.0.0.0\ntcp:7777,7777,ip4:0.0.0.0",
    ),
  ).id;
  const show = async (id: string) => JSON.parse(await mussel("instance", "show", id));
  const a = await launchTestwin(mussel, await idOf(keyA), group, "--host-node-id", "hn-h1");
  await cloud.until(
    () => show(a),
    (i) => i.state === "running",
  );

  const asked = JSON.parse(await mussel("instance", "backup", a, "--generalize", "true"));
  const made = await cloud.until(
    async () => JSON.parse(await mussel("image", "show", asked.image_id)),
    (i) => i.state !== "creating",
  );
  assert.equal(made.state, "available", made.error);
  assert.deepEqual(
    dav.stored(),
    [`${asked.backup_object_id}.raw.tar.gz`],
    "the object is on the WebDAV server",
  );

  const fromBackup = JSON.parse(
    await mussel(
      "instance",
      ...["create", "--image-id", asked.image_id, "--instance-spec-name", "kvm.small"],
      ...["--ssh-key-id", await idOf(keyB), "--security-groups", group, "--host-node-id", "hn-h2"],
    ),
  ).id as string;
  const running = await cloud.until(
    () => show(fromBackup),
    (i) => i.state === "running",
  );
  assert.equal(running.host_node, "hn-h2");
  // Its own first boot made it: B's key decrypts it (A's image forgot A's).
  const password = (await mussel("instance", "decrypt_password", fromBackup, keyB)).trim();
  assert.equal(await loginCheck(3389, password, 60_000, running.vif[0].ipv4.address), "OK\n");
  const serial = readFileSync(join(home, "hosts", "h2", "instances", fromBackup, "serial.log"), "utf8");
  assert.match(serial, new RegExp(`wakame-testvm: disk born-as ${a}`), "its disk is the one A had on hn-h1");

  // A tenant's guest does not reach the storage the hosts PUT and DELETE on: not at the management
  // address the hosts use, not at its own gateway (this machine, where the server listens too).
  const address = running.vif[0].ipv4.address as string;
  for (const target of [new URL(managementUrl(0)).hostname, defaultNetwork.ipv4_gw]) {
    const seen = await askGuest(7777, `${target} ${dav.port}`, 60_000, address, 8000);
    assert.equal(seen.trim(), "unreached", `the guest reached WebDAV at ${target}:${dav.port}`);
  }
});
