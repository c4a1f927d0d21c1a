// Each vdc-manage resource: add, modify, show (text and --json), del, and --help;
// the --help of the other commands.
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { run, vdcManage } from "../helpers/cli.js";
import { repoRoot } from "../helpers/paths.js";
import { backends, freshStore, type TestStore } from "../helpers/stores.js";

const stamp = "2026-01-01T00:00:00.000Z";

for (const backend of backends) {
  describe(`vdc-manage commands on ${backend}`, () => {
    let t: TestStore;
    const ok = async (...args: string[]) => {
      const r = await vdcManage(args, t.env);
      assert.equal(r.stderr, "", `vdc-manage ${args.join(" ")}`);
      assert.equal(r.code, 0);
      return r.stdout;
    };
    const json = async (...args: string[]) => JSON.parse(await ok(...args, "--json"));

    before(async () => {
      t = await freshStore(backend);
    });
    after(() => t.dispose());

    test("host: add without --uuid gets a generated one; modify changes only what is given; del", async () => {
      const id = (await ok("host", "add", "hva.two", "--force", "--cpu-cores=4")).trim();
      assert.match(id, /^hn-[a-z0-9]{8}$/);
      let host = await json("host", "show", id);
      assert.deepEqual(
        [host.offering_cpu_cores, host.offering_memory_size, host.hypervisor],
        [4, 1024, "kvm"],
      );
      await ok("host", "modify", id, "--memory-size=2048", "--no-scheduling-enabled");
      host = await json("host", "show", id);
      assert.deepEqual(
        [host.offering_cpu_cores, host.offering_memory_size, host.scheduling_enabled],
        [4, 2048, false],
      );
      assert.match(
        await ok("host", "show"),
        new RegExp(`${id}\\s+hva.two\\s+kvm\\s+x86_64\\s+4\\s+2048\\s+false`),
      );
      assert.match(
        await ok("host", "show", id),
        /Can Run: BIOS images without a TPM \(its hva has not reported what it has\)/,
      );
      const store = await t.open();
      try {
        const caps = { kvm: true, uefi: true, secure_boot: false, tpm: true, cpu_model: "host" };
        await store.db
          .updateTable("host_nodes")
          .set({ capabilities: JSON.stringify(caps) })
          .where("id", "=", id)
          .execute();
      } finally {
        await store.close();
      }
      assert.match(await ok("host", "show", id), /Can Run: KVM, BIOS, UEFI, TPM 2.0; CPU host/);
      assert.equal((await json("host", "show", id)).capabilities.tpm, true);
      await ok("host", "del", id);
      assert.deepEqual(await json("host", "show"), []);
    });

    test("a display name with escape sequences, stored before names were checked, is shown escaped and refused again", async () => {
      const id = (await ok("host", "add", "hva.esc", "--force")).trim();
      const hostile = "h\u001b[2J\u001b]0;pwned\u0007\u009b";
      const store = await t.open();
      try {
        await store.db
          .updateTable("host_nodes")
          .set({ display_name: hostile })
          .where("id", "=", id)
          .execute();
      } finally {
        await store.close();
      }
      const raw = (text: string) =>
        [...text].find((c) => c !== "\n" && (c < " " || (c >= "\u007f" && c <= "\u009f")));
      for (const args of [
        ["host", "show"],
        ["host", "show", id],
        ["host", "show", id, "--json"],
      ]) {
        const out = await ok(...args);
        assert.equal(raw(out), undefined, `vdc-manage ${args.join(" ")} prints no raw control character`);
      }
      assert.match(await ok("host", "show", id), /h\\x1b\[2J\\x1b\]0;pwned\\x07\\x9b/);
      assert.equal((await json("host", "show", id)).display_name, hostile, "--json reads back the same text");
      const refused = await vdcManage(["host", "modify", id, `--display-name=${hostile}`], t.env);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /--display-name: holds the control character \\x1b/);
      await ok("host", "del", id);
    });

    test("host add without --force works once the node's agent has reported in", async () => {
      const store = await t.open();
      try {
        await store.db
          .insertInto("node_states")
          .values({ node_id: "hva.seen", state: "online", last_seen_at: stamp })
          .execute();
      } finally {
        await store.close();
      }
      const id = (await ok("host", "add", "hva.seen", "--uuid=hn-seen")).trim();
      assert.equal(id, "hn-seen");
    });

    test("backup storage: a webdav storage is added, modified and deleted", async () => {
      const id = (
        await ok("backupstorage", "add", "--base-uri=http://127.0.0.1:8080/images", "--storage-type=webdav")
      ).trim();
      assert.equal((await json("backupstorage", "show", id)).base_uri, "http://127.0.0.1:8080/images/");
      await ok("backupstorage", "modify", id, "--display-name=shared images");
      assert.equal((await json("backupstorage", "show", id)).display_name, "shared images");
      assert.match(await ok("backupstorage", "show", id), /^Base URI: http:\/\/127.0.0.1:8080\/images\/$/m);
      await ok("backupstorage", "del", id);
      assert.deepEqual(
        (await json("backupstorage", "show")).map((s: { id: string }) => s.id),
        ["bkst-local"],
      );
    });

    test("backup object and image: allocation size defaults to size; features toggle; del in order", async () => {
      await ok(
        "backupobject",
        "add",
        "--uuid=bo-small",
        "--storage-id=bkst-local",
        "--object-key=small.raw",
        "--size=1048576",
        "--checksum=D41D8CD98F00B204E9800998ECF8427E",
      );
      const bo = await json("backupobject", "show", "bo-small");
      assert.equal(bo.allocation_size, 1048576);
      assert.equal(bo.checksum, "d41d8cd98f00b204e9800998ecf8427e");
      assert.equal(bo.container_format, "none");
      await ok("backupobject", "modify", "bo-small", "--container-format=gz", "--allocation-size=4096");
      assert.deepEqual(
        [
          (await json("backupobject", "show", "bo-small")).container_format,
          (await json("backupobject", "show", "bo-small")).allocation_size,
        ],
        ["gz", 4096],
      );

      await ok("image", "add", "local", "bo-small", "--uuid=wmi-small", "--display-name=small");
      let image = await json("image", "show", "wmi-small");
      assert.deepEqual(
        [image.os_type, image.is_public, image.is_cacheable, image.features],
        ["linux", false, false, {}],
      );
      await ok("image", "features", "wmi-small", "--virtio", "--acpi");
      assert.deepEqual((await json("image", "show", "wmi-small")).features, { virtio: true, acpi: true });
      await ok("image", "features", "wmi-small", "--no-acpi");
      assert.deepEqual((await json("image", "show", "wmi-small")).features, { virtio: true });
      // Firmware: Secure Boot is UEFI's, so it cannot outlive --no-uefi.
      await ok("image", "features", "wmi-small", "--uefi", "--secure-boot", "--tpm");
      const firmware = { virtio: true, uefi: true, secure_boot: true, tpm: true };
      assert.deepEqual((await json("image", "show", "wmi-small")).features, firmware);
      const noUefi = await vdcManage(["image", "features", "wmi-small", "--no-uefi"], t.env);
      assert.equal(noUefi.code, 2);
      assert.match(noUefi.stderr, /--secure-boot needs --uefi: Secure Boot is the UEFI firmware's/);
      assert.deepEqual((await json("image", "show", "wmi-small")).features, firmware, "nothing changed");
      await ok("image", "features", "wmi-small", "--no-uefi", "--no-secure-boot", "--no-tpm");
      assert.deepEqual((await json("image", "show", "wmi-small")).features, { virtio: true });
      await ok("image", "modify", "wmi-small", "--os-type=windows", "--is-cacheable", "--file-format=qcow2");
      image = await json("image", "show", "wmi-small");
      assert.deepEqual(
        [image.os_type, image.is_cacheable, image.file_format, image.display_name],
        ["windows", true, "qcow2", "small"],
      );

      await ok(
        "image",
        "add",
        "local",
        "bo-small",
        "--uuid=wmi-uefi",
        "--display-name=uefi",
        "--uefi",
        "--tpm",
      );
      assert.deepEqual((await json("image", "show", "wmi-uefi")).features, { uefi: true, tpm: true });
      await ok("image", "del", "wmi-uefi");
      await ok("image", "del", "wmi-small");
      await ok("backupobject", "del", "bo-small");
      assert.deepEqual(await json("image", "show"), []);
      assert.deepEqual(await json("backupobject", "show"), []);
    });

    test("specs: add, modify, list in name order, del", async () => {
      await ok(
        "spec",
        "add",
        "kvm.win",
        "--cpu-cores=4",
        "--memory-size=8192",
        "--description=Windows, roomy",
      );
      assert.equal((await json("spec", "show", "kvm.win")).cpu_model, null, "the host's CPU");
      assert.match(await ok("spec", "show", "kvm.win"), /CPU Model: \(the host's\)/);
      await ok("spec", "modify", "kvm.win", "--memory-size=6144", "--cpu-model=Skylake-Server-v4");
      const spec = await json("spec", "show", "kvm.win");
      assert.deepEqual(
        [spec.cpu_cores, spec.memory_size, spec.hypervisor, spec.arch, spec.cpu_model],
        [4, 6144, "kvm", "x86_64", "Skylake-Server-v4"],
      );
      assert.deepEqual(
        (await json("spec", "show")).map((s: { name: string }) => s.name),
        ["kvm.large", "kvm.small", "kvm.win", "kvm.xlarge"],
      );
      await ok("spec", "del", "kvm.win");
      assert.equal((await json("spec", "show")).length, 3);
    });

    test("networks: the address is normalized, the range defaults to every host address", async () => {
      const id = (
        await ok(
          "network",
          "add",
          "--ipv4-network=192.168.7.99",
          "--prefix=24",
          "--ipv4-gw=192.168.7.1",
          "--dns=192.168.7.1",
        )
      ).trim();
      let nw = await json("network", "show", id);
      assert.deepEqual(
        [nw.ipv4_network, nw.prefix, nw.ipv4_gw, nw.dns_server, nw.range_begin, nw.range_end],
        ["192.168.7.0", 24, "192.168.7.1", "192.168.7.1", "192.168.7.1", "192.168.7.254"],
      );
      await ok("network", "modify", id, "--range-begin=192.168.7.100", "--display-name=lab");
      nw = await json("network", "show", id);
      assert.deepEqual(
        [nw.range_begin, nw.range_end, nw.display_name],
        ["192.168.7.100", "192.168.7.254", "lab"],
      );
      assert.deepEqual(
        [nw.uplink, nw.dhcp_server, nw.nat],
        [null, null, 0],
        "a bridged host's settings: none",
      );
      await ok("network", "modify", id, "--uplink=vxlan:42", "--dhcp-server=192.168.7.99", "--nat");
      nw = await json("network", "show", id);
      assert.deepEqual([nw.uplink, nw.dhcp_server, nw.nat], ["vxlan:42", "192.168.7.99", 1]);
      await ok("network", "modify", id, "--uplink=none", "--nat=false");
      nw = await json("network", "show", id);
      assert.deepEqual([nw.uplink, nw.dhcp_server, nw.nat], [null, "192.168.7.99", 0]);
      await ok("network", "del", id);
      assert.deepEqual(
        (await json("network", "show")).map((n: { id: string }) => n.id),
        ["nw-demo1"],
      );
    });

    test("key pairs and security groups made through the API can be listed and deleted", async () => {
      const store = await t.open();
      try {
        await store.db
          .insertInto("ssh_key_pairs")
          .values({
            id: "ssh-k1",
            account_id: "a-shpoolxx",
            display_name: "laptop",
            description: null,
            public_key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHh0 me@laptop",
            fingerprint: "SHA256:abc",
            key_type: "ssh-ed25519",
            key_bits: null,
            created_at: stamp,
            updated_at: stamp,
          })
          .execute();
        await store.db
          .insertInto("security_groups")
          .values({
            id: "sg-rdp",
            account_id: "a-shpoolxx",
            display_name: "rdp",
            description: null,
            service_type: "std",
            rule: "tcp:3389,3389,ip4:0.0.0.0",
            created_at: stamp,
            updated_at: stamp,
          })
          .execute();
      } finally {
        await store.close();
      }
      assert.match(await ok("keypair", "show"), /ssh-k1\s+a-shpoolxx\s+ssh-ed25519\s+SHA256:abc\s+laptop/);
      assert.equal((await json("keypair", "show", "ssh-k1")).fingerprint, "SHA256:abc");
      assert.match(await ok("securitygroup", "show", "sg-rdp"), /tcp:3389,3389,ip4:0\.0\.0\.0/);
      await ok("keypair", "del", "ssh-k1");
      await ok("securitygroup", "del", "sg-rdp");
      assert.deepEqual(await json("keypair", "show"), []);
      assert.deepEqual(await json("securitygroup", "show"), []);
    });
  });
}

test("every command and group answers --help with its usage and exit 0", async () => {
  const env = { ...process.env, WAKAME_HOME: "/nonexistent/never-opened" };
  const commands = [
    [],
    ["host"],
    ["host", "add"],
    ["host", "modify"],
    ["host", "del"],
    ["host", "show"],
    ["backupstorage", "add"],
    ["backupstorage", "modify"],
    ["backupstorage", "del"],
    ["backupstorage", "show"],
    ["backupobject", "add"],
    ["backupobject", "modify"],
    ["backupobject", "del"],
    ["backupobject", "show"],
    ["image"],
    ["image", "add"],
    ["image", "add", "local"],
    ["image", "modify"],
    ["image", "features"],
    ["image", "del"],
    ["image", "show"],
    ["spec", "add"],
    ["spec", "modify"],
    ["spec", "del"],
    ["spec", "show"],
    ["network", "add"],
    ["network", "modify"],
    ["network", "del"],
    ["network", "show"],
    ["keypair", "show"],
    ["keypair", "del"],
    ["securitygroup", "show"],
    ["securitygroup", "del"],
  ];
  for (const words of commands) {
    const r = await vdcManage([...words, "--help"], env);
    assert.equal(r.code, 0, words.join(" "));
    assert.equal(r.stderr, "");
    assert.match(r.stdout, new RegExp(`^Usage: vdc-manage${words.map((w) => ` ${w}`).join("")} `));
    assert.doesNotMatch(r.stdout, /\[object|undefined/, words.join(" "));
  }
  const add = await vdcManage(["backupobject", "add", "--help"], env);
  assert.match(
    add.stdout,
    /--checksum=MD5\s+The md5 checksum of the backup object \(required; 32 hexadecimal digits/,
  );
  assert.match(add.stdout, /--container-format=CHOICE .*\(one of tgz, gz, tar, none; default: none\)/);
});

test("the servers' --help shows every default as it would be typed", async () => {
  const env = { ...process.env, WAKAME_HOME: "/nonexistent/never-opened" };
  for (const [command, ...words] of [["dcmgr"], ["wakame", "up"], ["hva"]] as const) {
    const r = await run(
      process.execPath,
      [resolve(repoRoot, "bin", `${command}.js`), ...words, "--help"],
      env,
    );
    const line = [command, ...words].join(" ");
    assert.equal(r.code, 0, `${line}: ${r.stderr}`);
    assert.doesNotMatch(r.stdout, /\[object|undefined/, line);
    if (command !== "hva") assert.match(r.stdout, /--listen=HOST:PORT .*default: 127\.0\.0\.1:9001\)/, line);
    else assert.match(r.stdout, /--accelerator=.*default: auto\)/, line);
  }
});
