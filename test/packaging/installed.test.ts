// The packages installed as an operator installs them: `apt-get install
// ./*.deb` into a throwaway Debian 12 root, then the commands, the units, the
// configuration and its rights; dcmgr and hva run from their units' ExecStart
// lines as systemd would run them, the test guest launched through them and
// its password decrypted by the installed mussel; an upgrade that the running
// VM survives; remove and purge; and the launcher's word on Node.js 18.
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { installScript } from "../../src/imagebuild/install-script.js";
import { buildDebianPackages } from "../../src/packaging/build-deb.js";
import { packageTestGuest } from "../../src/testguest/package.js";
import { debianRoot, inRoot, killAllInRoot, nodePackage, startInRoot } from "../helpers/debian-root.js";
import { freePort } from "../helpers/net.js";
import { askFrom } from "../helpers/netns.js";
import { repoRoot, tempDir } from "../helpers/paths.js";
import { execStartCommand, type UnitService, unitService } from "../helpers/systemd-unit.js";
import { qemuPids } from "../helpers/vms.js";

const root = tempDir("debian-root");
const ok = (command: string, netns?: string) => {
  const r = inRoot(root, command, netns);
  assert.equal(r.code, 0, `${command}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
};
/** The installed mussel's answer, read as JSON (in network namespace `netns` if named). */
const mussel = (args: string, netns?: string) =>
  JSON.parse(ok(`DCMGR_RESPONSE_FORMAT=json mussel ${args}`, netns));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const names = [
  "wakame-vdc-dcmgr",
  "wakame-vdc-hva-kvm",
  "wakame-vdc-client-mussel",
  "wakame-vdc-image-builder",
];
const units = ["wakame-vdc-dcmgr.service", "wakame-vdc-hva.service"];

const skip = process.getuid?.() !== 0 ? "needs root (debootstrap, unshare, pivot_root)" : false;

/** An instance as `mussel instance show` tells it. */
interface Shown {
  id: string;
  state: string;
  vif: { ipv4?: { address: string } | null; port_forwards?: { host_port: number }[] }[];
}

/** A service of the root, started as its unit's ExecStart= runs. */
interface Running {
  unit: UnitService;
  process: ChildProcess;
  output: () => string;
}

/**
 * Starts a service of the root (in network namespace `netns` if named), with
 * /dev/net/tun as Debian's udev leaves it, 0666: this machine's is root's only.
 */
function startService(unitName: string, netns?: string): Running {
  const unit = unitService(readFileSync(join(root, "lib/systemd/system", unitName), "utf8"));
  const tun = "mount -t tmpfs -o mode=0755 tmpfs /dev/net && mknod -m 0666 /dev/net/tun c 10 200";
  const child = startInRoot(root, `${tun} && ${execStartCommand(unit, "/var/lib/wakame-vdc")}`, netns);
  let output = "";
  child.stdout!.on("data", (d) => {
    output += d;
  });
  child.stderr!.on("data", (d) => {
    output += d;
  });
  return { unit, process: child, output: () => output };
}

/** Waits until the service has said `said`; its death or a minute's silence fails the test. */
async function waitFor(s: Running, said: RegExp): Promise<void> {
  for (let i = 0; !said.test(s.output()); i++) {
    assert.ok(i < 600 && s.process.exitCode === null, `${s.unit.execStart}: no ${said} in:\n${s.output()}`);
    await sleep(100);
  }
}

/**
 * Stops a service as `systemctl stop` does here: SIGTERM to its main process,
 * which is all of hva's KillMode=process (its VMs stay), and all of dcmgr.
 */
async function stopService(s: Running): Promise<void> {
  if (s.process.exitCode !== null) return;
  const exited = new Promise((r) => s.process.once("exit", r));
  s.process.kill("SIGTERM");
  await exited;
}

/** The guest's login check at 127.0.0.1:port in network namespace `ns`, tried for a minute. */
async function loginFrom(ns: string, port: number, password: string): Promise<string | null> {
  let answer: string | null = null;
  for (let i = 0; answer === null && i < 60; i++) {
    answer = await askFrom(ns, "127.0.0.1", port, `Administrator ${password}`, 3000);
    if (answer === null) await sleep(500);
  }
  return answer;
}

/** The `/proc/PID/status` line `name` of a process. */
const status = (pid: number, name: string) =>
  new RegExp(`^${name}:\\s*(.*)$`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
/** The user a process runs as (its real uid), by name in the root. */
const userOf = (pid: number) => ok(`id -nu ${status(pid, "Uid")!.split(/\s+/)[0]}`).trim();

describe("the packages in a fresh Debian 12", { concurrency: false, skip }, () => {
  let debs: string[] = [];
  let port = 0;
  /** The bridged host's network namespace. */
  const bridgedHost = `wkpkg-${process.pid}`;
  /**
   * The user-mode host's: the guests' wall (an nftables table on the root's
   * wakame-vdc-guest uid, which may be another user's uid on this machine) stays in it.
   */
  const userModeHost = `wkpku-${process.pid}`;
  const services: Running[] = [];
  before(async () => {
    if (skip) return;
    debianRoot(root);
    mkdirSync(join(root, "debs"));
    debs = await buildDebianPackages({
      root: repoRoot,
      out: join(root, "debs"),
      version: "0.1.0",
      log: () => {},
    });
    copyFileSync(nodePackage(), join(root, "debs", "nodejs.deb"));
    ok("apt-get update -qq");
    port = await freePort();
  });
  after(async () => {
    for (const s of services) await stopService(s).catch(() => {});
    killAllInRoot(root);
    for (const ns of [bridgedHost, userModeHost])
      if (existsSync(`/run/netns/${ns}`)) execFileSync("ip", ["netns", "del", ns]);
    rmSync(root, { recursive: true, force: true });
  });
  const local = (name: string) => `./debs/${basename(debs.find((d) => d.includes(`/${name}_`))!)}`;

  test("Debian's own Node.js 18 does not satisfy them, and apt says why", () => {
    const r = inRoot(
      root,
      `cd / && apt-get install -y --no-install-recommends ${local("wakame-vdc-client-mussel")}`,
    );
    assert.notEqual(r.code, 0);
    assert.match(r.stdout + r.stderr, /wakame-vdc-client-mussel : Depends: nodejs \(>= 20\)/);
  });

  test("with Node.js 20, apt installs all four and their Debian dependencies", () => {
    ok(
      `cd / && apt-get install -y -q --no-install-recommends ./debs/nodejs.deb ${names.map((n) => local(n)).join(" ")}`,
    );
    for (const n of names) assert.match(ok(`dpkg-query -W -f='\${Status}' ${n}`), /install ok installed/);
    assert.match(ok("dpkg-query -W -f='${Status}' qemu-system-x86 dnsmasq-base nftables"), /installed/);
  });

  test("the units pass systemd-analyze verify and are enabled for boot", () => {
    const r = inRoot(
      root,
      `systemd-analyze verify ${units.map((u) => `/lib/systemd/system/${u}`).join(" ")}`,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stderr
        .split("\n")
        .filter((l) => /wakame/.test(l))
        .join("\n"),
      "",
      "no word on our units",
    );
    for (const u of units)
      assert.equal(
        ok(`readlink /etc/systemd/system/multi-user.target.wants/${u}`),
        `/lib/systemd/system/${u}\n`,
      );
  });

  test("the commands run, vdc-manage on the service's database, which stays the service's user's", () => {
    assert.match(
      ok(
        "vdc-manage host add hva.demo1 --uuid hn-demo1 --display-name 'demo HVA 1' --cpu-cores 100 --memory-size 10240 " +
          "--hypervisor kvm --arch x86_64 --disk-space 102400 --force && vdc-manage host show",
      ),
      /hva\.demo1/,
    );
    assert.equal(
      ok("stat -c '%U %a' /var/lib/wakame-vdc/wakame.sqlite3 /var/lib/wakame-vdc"),
      "wakame-vdc 600\nwakame-vdc 750\n",
    );
    for (const c of ["mussel", "hva", "dcmgr", "build-dir-utils.sh", "auto-windows-image-build.sh", "needle"])
      assert.match(ok(`${c} --help`), /Usage: /, c);
    // The user guests' networks run as: a system user with no shell and no home.
    assert.match(
      ok("getent passwd wakame-vdc-guest"),
      /^wakame-vdc-guest:x:\d+:\d+::\/nonexistent:\/usr\/sbin\/nologin$/m,
    );
  });

  test("the configuration is under /etc/wakame-vdc; what may hold secrets is the services' group's only", () => {
    assert.equal(
      ok(
        "cd /etc/wakame-vdc && stat -c '%n %U:%G %a' dcmgr.conf hva.conf musselrc tls/dcmgr.crt tls/dcmgr.key",
      ),
      "dcmgr.conf root:wakame-vdc 640\nhva.conf root:wakame-vdc 640\nmusselrc root:root 644\n" +
        "tls/dcmgr.crt root:root 644\ntls/dcmgr.key root:wakame-vdc 640\n",
    );
    // The self-signed pair made on install names this host and loopback.
    assert.match(
      ok("openssl x509 -in /etc/wakame-vdc/tls/dcmgr.crt -noout -ext subjectAltName"),
      /DNS:localhost, IP Address:127\.0\.0\.1/,
    );
  });

  /** dcmgr, then hva, started from their units (in `netns` if named), once each has said it is up. */
  async function startServices(netns?: string): Promise<{ dcmgr: Running; hva: Running }> {
    const dcmgr = startService("wakame-vdc-dcmgr.service", netns);
    services.push(dcmgr);
    await waitFor(dcmgr, /API at https:\/\//);
    const hva = startService("wakame-vdc-hva.service", netns);
    services.push(hva);
    // Each pid is the service's own once it speaks: the exec chain to it ran as root.
    await waitFor(hva, /VMs run on tcg: configured/);
    return { dcmgr, hva };
  }

  /** The test guest launched with the installed mussel (in `netns` if named), once running, and its decrypted password. */
  async function launchTestGuest(hva: Running, netns?: string): Promise<Shown & { password: string }> {
    const { id } = mussel(
      `instance create --image-id wmi-testwin --instance-spec-name kvm.small --ssh-key-id ${key} --security-groups ${group}`,
      netns,
    );
    for (let i = 0; ; i++) {
      const shown: Shown = mussel(`instance show ${id}`, netns);
      if (shown.state === "running")
        return {
          ...shown,
          password: ok(`mussel instance decrypt_password ${id} /root/demo-key`, netns).trim(),
        };
      assert.ok(i < 600 && hva.process.exitCode === null, `still ${shown.state}:\n${hva.output()}`);
      await sleep(500);
    }
  }

  /** Terminates the instance with the installed mussel and waits until its QEMU has gone. */
  async function destroy(id: string, hva: Running, netns?: string): Promise<void> {
    ok(`mussel instance destroy ${id}`, netns);
    for (let i = 0; qemuPids(`/var/lib/wakame-vdc/instances/${id}`).length > 0; i++) {
      assert.ok(i < 600, `${id}'s QEMU still runs:\n${hva.output()}`);
      await sleep(200);
    }
  }

  let key = "";
  let group = "";
  let instance = "";
  let password = "";
  let qemu = 0;
  test("dcmgr and hva run from their units as wakame-vdc; mussel launches the test guest and decrypts its password", async () => {
    // The operator's steps of docs/install.md, on one machine: the listen
    // port is one free here, and this machine's KVM hangs guests (tcg).
    ok(
      `sed -i 's/^listen = .*/listen = 127.0.0.1:${port}/' /etc/wakame-vdc/dcmgr.conf && ` +
        `sed -i 's|^dcmgr = .*|dcmgr = https://127.0.0.1:${port}|; s/^# node-id = .*/node-id = hva.demo1/; s/^accelerator = .*/accelerator = tcg/' /etc/wakame-vdc/hva.conf && ` +
        `sed -i 's/^DCMGR_PORT=.*/DCMGR_PORT=${port}/' /etc/wakame-vdc/musselrc && ` +
        "vdc-manage token add --host-node-id hn-demo1 > /root/hva.demo1.token && " +
        "install -m 0640 -g wakame-vdc /root/hva.demo1.token /etc/wakame-vdc/hva.token",
    );
    const images = join(root, "var/lib/wakame-vdc/images");
    const values = await packageTestGuest(images, () => {});
    writeFileSync(
      join(images, `${values.objectKey}.install.sh`),
      installScript({ name: "testwin", ...values }),
    );
    ok(`cd /var/lib/wakame-vdc/images && bash ${values.objectKey}.install.sh`);

    // A host of its own, with an IPv4 default route, as passt needs (on a veth pair whose
    // two ends are both in it: nothing leaves).
    execFileSync("ip", ["netns", "add", userModeHost]);
    for (const args of [
      ["link", "set", "lo", "up"],
      ["link", "add", "uplink0", "type", "veth", "peer", "name", "uplink1"],
      ["link", "set", "uplink1", "up"],
      ["addr", "add", "198.51.100.10/24", "dev", "uplink0"],
      ["link", "set", "uplink0", "up"],
      ["route", "add", "default", "via", "198.51.100.1"],
    ])
      execFileSync("ip", ["-n", userModeHost, ...args]);
    const { dcmgr, hva } = await startServices(userModeHost);
    for (const s of [dcmgr, hva]) {
      assert.equal(userOf(s.process.pid!), "wakame-vdc", s.unit.execStart);
      // hva: NET_ADMIN, NET_BIND_SERVICE, NET_RAW, SETUID, SETGID.
      const amb = s.unit.ambientCapabilities.length ? "00000000000034c0" : "0000000000000000";
      assert.equal(status(s.process.pid!, "CapAmb"), amb, `${s.unit.execStart}'s ambient capabilities`);
    }
    await waitFor(
      hva,
      /user-mode guests are walled off from this host: their network runs as wakame-vdc-guest/,
    );

    execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-m", "PEM", "-N", "", "-f", join(root, "root/demo-key")]);
    key = mussel("ssh_key_pair create --public-key /root/demo-key.pub", userModeHost).id;
    group = mussel("security_group create --rule tcp:3389,3389,ip4:0.0.0.0", userModeHost).id;
    const launched = await launchTestGuest(hva, userModeHost);
    instance = launched.id;
    password = launched.password;
    const instanceDir = join(root, "var/lib/wakame-vdc/instances", instance);
    assert.equal(
      await loginFrom(userModeHost, launched.vif[0]!.port_forwards![0]!.host_port, password),
      "OK",
      `passt said:\n${readFileSync(join(instanceDir, "passt-0.log"), "utf8")}\nhva said:\n${hva.output()}`,
    );
    // Its network stack: passt as wakame-vdc-guest, with no capability left.
    const passt = execFileSync("ip", ["netns", "pids", userModeHost], { encoding: "utf8" })
      .split("\n")
      .filter((pid) => pid && /^passt/.test(status(Number(pid), "Name") ?? ""))
      .map(Number);
    assert.equal(passt.length, 1, "one passt for the guest's one NIC");
    assert.equal(userOf(passt[0]!), "wakame-vdc-guest");
    assert.equal(status(passt[0]!, "CapEff"), "0000000000000000");
    const pids = qemuPids(`/var/lib/wakame-vdc/instances/${instance}`);
    assert.equal(pids.length, 1, "one QEMU for the instance");
    qemu = pids[0]!;
    assert.equal(userOf(qemu), "wakame-vdc", "QEMU's user");
  });

  test("an upgrade with the VM running: the services stopped as their units stop them, 0.1.0+git1 installed, the new hva adopts the same QEMU", async () => {
    mkdirSync(join(root, "debs-next"));
    const next = await buildDebianPackages({
      root: repoRoot,
      out: join(root, "debs-next"),
      version: "0.1.0+git1",
      log: () => {},
    });
    const [dcmgr, hva] = services as [Running, Running];
    assert.equal(hva.unit.killMode, "process", "hva's unit leaves its VMs running");
    await stopService(hva);
    await stopService(dcmgr);
    assert.deepEqual(
      qemuPids(`/var/lib/wakame-vdc/instances/${instance}`),
      [qemu],
      "the VM outlives its agent",
    );

    ok(
      `cd / && apt-get install -y -q --no-install-recommends ${next.map((d) => `./debs-next/${basename(d)}`).join(" ")}`,
    );
    for (const n of names) assert.equal(ok(`dpkg-query -W -f='\${Version}' ${n}`), "0.1.0+git1");
    assert.match(
      ok("cat /etc/wakame-vdc/dcmgr.conf"),
      new RegExp(`^listen = 127.0.0.1:${port}$`, "m"),
      "the operator's edit kept",
    );

    const again = await startServices(userModeHost);
    await waitFor(again.hva, new RegExp(`${instance}: QEMU found running, adopted`));
    const shown: Shown = mussel(`instance show ${instance}`, userModeHost);
    assert.equal(shown.state, "running");
    assert.equal(await loginFrom(userModeHost, shown.vif[0]!.port_forwards![0]!.host_port, password), "OK");
    assert.deepEqual(qemuPids(`/var/lib/wakame-vdc/instances/${instance}`), [qemu], "the same QEMU");

    await destroy(instance, again.hva, userModeHost);
    await stopService(again.hva);
    await stopService(again.dcmgr);
  });

  test("bridged networking as the service's user: with its unit's capabilities alone, hva makes the bridge, the tap, the ruleset and the DHCP server", async () => {
    // A host of its own: a network namespace, forwarding on as docs/install.md
    // has the operator of a gateway host do; the network gets a DHCP server.
    execFileSync("ip", ["netns", "add", bridgedHost]);
    execFileSync("ip", ["-n", bridgedHost, "link", "set", "lo", "up"]);
    execFileSync("ip", ["netns", "exec", bridgedHost, "sysctl", "-qw", "net.ipv4.ip_forward=1"]);
    ok(
      "sed -i 's/^network = .*/network = bridge/; s/^# gateway = .*/gateway = true/' /etc/wakame-vdc/hva.conf && " +
        "vdc-manage network modify nw-demo1 --dhcp-server=10.0.2.253",
    );
    const { dcmgr, hva } = await startServices(bridgedHost);
    const guest = await launchTestGuest(hva, bridgedHost);
    const address = guest.vif[0]!.ipv4!.address;
    let answer: string | null = null;
    for (let i = 0; answer === null && i < 60; i++) {
      answer = await askFrom(bridgedHost, address, 3389, `Administrator ${guest.password}`, 2000);
      if (answer === null) await sleep(500);
    }
    assert.equal(answer, "OK", `the guest at ${address}, on the bridge:\n${hva.output()}`);
    // The guest reports on its console what DHCP offered it (dhcp-report).
    const serial = join(root, "var/lib/wakame-vdc/instances", guest.id, "serial.log");
    for (let i = 0; !readFileSync(serial, "utf8").includes(`dhcp eth0 ${address}`); i++) {
      assert.ok(i < 300, `no DHCP offer of ${address} in ${serial}`);
      await sleep(100);
    }
    // The guest's probe on 7777 (it asks its own login check): closed until a
    // rule opens it, which the service's hva brings into the ruleset in force.
    const probe = () => askFrom(bridgedHost, address, 7777, "127.0.0.1 3389", 3000);
    assert.equal(await probe(), null, "its group has no rule for 7777");
    ok(
      `mussel security_group update ${group} --rule "$(printf 'tcp:3389,3389,ip4:0.0.0.0\\ntcp:7777,7777,ip4:0.0.0.0')"`,
      bridgedHost,
    );
    let opened: string | null = null;
    for (let i = 0; opened === null && i < 20; i++) opened = await probe();
    assert.equal(opened, "reached: DENIED");
    const dnsmasq = Number(ok("cat /var/lib/wakame-vdc/networks/*/dnsmasq.pid"));
    assert.equal(userOf(dnsmasq), "wakame-vdc", "dnsmasq's user");

    await destroy(guest.id, hva, bridgedHost);
    await stopService(hva);
    await stopService(dcmgr);
    process.kill(dnsmasq, "SIGTERM");
  });

  test("remove keeps configuration and state; purge deletes them", () => {
    ok(
      "echo '# changed' >> /etc/wakame-vdc/dcmgr.conf && apt-get remove -y -q wakame-vdc-dcmgr wakame-vdc-hva-kvm",
    );
    assert.match(
      ok("tail -1 /etc/wakame-vdc/dcmgr.conf; ls /etc/wakame-vdc /var/lib/wakame-vdc"),
      /^# changed\n[\s\S]*hva\.conf[\s\S]*hva\.token[\s\S]*wakame\.sqlite3/,
    );
    ok("apt-get purge -y -q wakame-vdc-dcmgr wakame-vdc-hva-kvm");
    assert.equal(ok("ls /etc/wakame-vdc; ls -d /var/lib/wakame-vdc 2>/dev/null || true"), "musselrc\n");
    assert.equal(ok("dpkg-statoverride --list | grep -c wakame-vdc || true"), "0\n");
  });

  test("run by Debian's Node.js 18 (forced in), a command says what it needs and stops", () => {
    // Debian 12's own nodejs, over the packages' dependency, as a careless
    // downgrade would leave it: its libraries from apt, its packages forced in.
    ok(
      "mkdir /tmp/node18 && cd /tmp/node18 && v=$(apt-cache policy libnode108 | sed -n 's/ *Candidate: //p') && " +
        "apt-get install -y -q --no-install-recommends $(apt-cache depends libnode108 | sed -n 's/ *Depends: \\(lib.*\\)/\\1/p') && " +
        "apt-get download nodejs=$v libnode108=$v node-acorn node-cjs-module-lexer node-undici && " +
        // nodejs first: NodeSource's provides nodejs-legacy, which libnode108 refuses.
        "dpkg -i --force-depends --force-downgrade nodejs_*.deb && dpkg -i --force-depends ./*.deb",
    );
    const r = inRoot(root, "mussel --help");
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^mussel: needs Node\.js 20 or newer, and \/usr\/bin\/node(js)? is v18\.[\d.]+: install nodejs 20 or newer/,
    );
    assert.equal(r.stdout, "");
  });
});
