// The QEMU command line of a VM: what issue 4 asks of each instance, and the
// image builder's installer VM (CD-ROMs, floppy, a fixed clock).
import assert from "node:assert/strict";
import { test } from "node:test";
import { InstanceDirectories } from "../../src/hva/instance-files.js";
import { UserModeNetwork } from "../../src/hva/network/user-mode.js";
import type { WantedInstance } from "../../src/model/agent-contract.js";
import { qemuArgs, type VmSpec } from "../../src/qemu/command.js";

const vm: VmSpec = {
  name: "i-test0001",
  cpuCores: 2,
  memoryMb: 2048,
  accel: "tcg",
  disks: [
    { file: "/var/i/disk,1.qcow2", format: "qcow2", bus: "ide" },
    { file: "/var/i/metadata.img", format: "raw", bus: "ide" },
  ],
  nics: [],
  qmpSocket: "/var/i/qmp.sock",
  serialLog: "/var/i/serial.log",
  vnc: { socket: "/var/i/vnc,1.sock" },
  rtcBase: "localtime",
  pidFile: "/var/i/qemu.pid",
};

const after = (args: string[], flag: string) => args.filter((_, i) => args[i - 1] === flag);

test("UEFI: q35 with SMM, OVMF's code read-only and the VM's own variable store; IDE on AHCI's ports", () => {
  const uefi = qemuArgs({
    ...vm,
    firmware: { code: "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd", vars: "/var/i/efi,vars.fd" },
    cdroms: ["/iso/win.iso"],
  });
  assert.deepEqual(after(uefi, "-machine"), ["q35,smm=on"]);
  assert.deepEqual(after(uefi, "-global"), ["driver=cfi.pflash01,property=secure,value=on"]);
  assert.deepEqual(
    after(uefi, "-drive").filter((d) => d.startsWith("if=pflash")),
    [
      "if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd",
      "if=pflash,format=raw,unit=1,file=/var/i/efi,,vars.fd",
    ],
  );
  assert.deepEqual(
    after(uefi, "-device").filter((d) => d.startsWith("ide-")),
    [
      "ide-hd,drive=disk0,bus=ide.0,bootindex=1",
      "ide-hd,drive=disk1,bus=ide.1",
      "ide-cd,drive=cd0,bus=ide.2",
    ],
  );
  const bios = qemuArgs({ ...vm, cdroms: ["/iso/win.iso"] });
  assert.deepEqual(
    after(bios, "-device").filter((d) => d.startsWith("ide-")),
    [
      "ide-hd,drive=disk0,bus=ide.0,unit=0,bootindex=1",
      "ide-hd,drive=disk1,bus=ide.0,unit=1",
      "ide-cd,drive=cd0,bus=ide.1,unit=0",
    ],
  );
  assert.equal(after(bios, "-drive").filter((d) => d.startsWith("if=pflash")).length, 0, "SeaBIOS, built in");
  assert.deepEqual(
    after(qemuArgs({ ...vm, firmware: { code: "c", vars: "v" }, windowsClock: true }), "-machine"),
    ["q35,smm=on,hpet=off"],
  );
});

test("a TPM 2.0: QEMU's emulator backend on the VM's swtpm socket, a TIS device", () => {
  const args = qemuArgs({ ...vm, tpm: { socket: "/var/i/tpm,1/swtpm.sock" } });
  assert.deepEqual(after(args, "-chardev"), ["socket,id=chrtpm,path=/var/i/tpm,,1/swtpm.sock"]);
  assert.deepEqual(after(args, "-tpmdev"), ["emulator,id=tpm0,chardev=chrtpm"]);
  assert.ok(after(args, "-device").includes("tpm-tis,tpmdev=tpm0"));
  assert.deepEqual(after(qemuArgs(vm), "-tpmdev"), [], "none unless asked");
});

test("the CPU as given, and Windows' clock: slewed RTC, no HPET, and under KVM its PIT delaying lost ticks", () => {
  assert.deepEqual(after(qemuArgs(vm), "-cpu"), [], "QEMU's default when none is given");
  const windows = qemuArgs({ ...vm, cpu: "Nehalem", windowsClock: true });
  assert.deepEqual(after(windows, "-cpu"), ["Nehalem"]);
  assert.deepEqual(after(windows, "-rtc"), ["base=localtime,driftfix=slew"]);
  assert.deepEqual(after(windows, "-machine"), ["pc,hpet=off"]);
  assert.deepEqual(after(windows, "-global"), [], "TCG has no in-kernel PIT");
  const onKvm = qemuArgs({ ...vm, accel: "kvm", cpu: "host,hv-relaxed", windowsClock: true });
  assert.deepEqual(after(onKvm, "-global"), ["kvm-pit.lost_tick_policy=delay"]);
  assert.deepEqual(after(qemuArgs(vm), "-machine"), ["pc"], "other guests keep their HPET");
});

test("cpu, memory, accelerator, local-time RTC, USB tablet, serial log, QMP, VNC on a unix socket and pid file", () => {
  const args = qemuArgs(vm);
  assert.deepEqual(after(args, "-smp"), ["2"]);
  assert.deepEqual(after(args, "-m"), ["2048"]);
  assert.deepEqual(after(args, "-accel"), ["tcg"]);
  assert.deepEqual(after(args, "-rtc"), ["base=localtime"]);
  assert.ok(after(args, "-device").includes("usb-tablet"));
  assert.deepEqual(after(args, "-serial"), ["file:/var/i/serial.log"]);
  assert.deepEqual(after(args, "-qmp"), ["unix:/var/i/qmp.sock,server=on,wait=off"]);
  assert.deepEqual(after(args, "-vnc"), ["unix:/var/i/vnc,,1.sock"]);
  assert.deepEqual(after(args, "-pidfile"), ["/var/i/qemu.pid"]);
  assert.deepEqual(after(qemuArgs({ ...vm, rtcBase: "utc" }), "-rtc"), ["base=utc"]);
  const { vnc: _, ...noConsole } = vm;
  assert.deepEqual(after(qemuArgs(noConsole), "-vnc"), []);
  // The image builder's console: loopback, refusing everyone until its password is set over QMP.
  const builder = qemuArgs({ ...vm, vnc: { loopback: true, password: true } });
  assert.deepEqual(after(builder, "-vnc"), ["127.0.0.1:0,to=99,password=on"]);
});

test("a move's destination waits paused for its incoming migration; other VMs run at once", () => {
  const args = qemuArgs({ ...vm, incoming: true });
  assert.deepEqual(after(args, "-incoming"), ["defer"]);
  assert.ok(args.includes("-S"));
  assert.ok(!qemuArgs(vm).includes("-S") && !qemuArgs(vm).includes("-incoming"));
});

test("disks on IDE without the virtio feature, on virtio-blk with it; commas in paths doubled", () => {
  const ide = after(qemuArgs(vm), "-device").filter((d) => d.includes("drive="));
  assert.deepEqual(ide, [
    "ide-hd,drive=disk0,bus=ide.0,unit=0,bootindex=1",
    "ide-hd,drive=disk1,bus=ide.0,unit=1",
  ]);
  assert.match(after(qemuArgs(vm), "-drive")[0]!, /^file=\/var\/i\/disk,,1.qcow2,format=qcow2,/);
  const virtio = qemuArgs({ ...vm, disks: vm.disks.map((d) => ({ ...d, bus: "virtio" as const })) });
  assert.deepEqual(
    after(virtio, "-device").filter((d) => d.includes("drive=")),
    ["virtio-blk-pci,drive=disk0,bootindex=1", "virtio-blk-pci,drive=disk1"],
  );
});

const wanted = {
  id: "i-test0001",
  security_group_rules: [
    { protocol: "tcp", from_port: 3389, to_port: 3389, source_cidr: "0.0.0.0/0", source_group_id: null },
  ],
  vifs: [
    {
      id: "vif-1",
      index: 0,
      mac_address: "52:54:00:aa:bb:cc",
      ipv4_address: "10.0.2.101",
      netmask: "255.255.255.0",
      gateway: "10.0.2.2",
      dns: "10.0.2.3",
    },
  ],
  image: { features: { virtio: true } },
} as unknown as WantedInstance;

test("user-mode networking, restricted (no wall here): QEMU's network with restrict=on and the forwards", async () => {
  const network = new UserModeNetwork({
    forwardAddress: "127.0.0.1",
    guestUser: null,
    instances: new InstanceDirectories("/var/i"),
    log: () => {},
  });
  const plan = await network.plan(wanted);
  const [forward] = plan.vifs[0]!.port_forwards;
  assert.equal(forward!.guest_port, 3389);
  assert.equal(forward!.host_address, "127.0.0.1");
  assert.ok(forward!.host_port > 0);
  assert.deepEqual(await network.attach(wanted, plan), [], "nothing for QEMU to inherit");
  const args = qemuArgs({ ...vm, nics: network.nics(wanted, plan) });
  assert.deepEqual(after(args, "-netdev"), [
    `user,id=net0,restrict=on,net=10.0.2.0/24,host=10.0.2.2,dns=10.0.2.3,hostfwd=tcp:127.0.0.1:${forward!.host_port}-10.0.2.101:3389`,
  ]);
  assert.ok(after(args, "-device").includes("virtio-net-pci,netdev=net0,mac=52:54:00:aa:bb:cc"));
  const e1000 = network.nics({ ...wanted, image: { ...wanted.image, features: {} } }, plan);
  assert.equal(e1000[0]!.model, "e1000");
});

test("restricted, a port its groups open to some sources only is not forwarded, and the log says why", async () => {
  const log: string[] = [];
  const network = new UserModeNetwork({
    forwardAddress: "127.0.0.1",
    guestUser: null,
    instances: new InstanceDirectories("/var/i"),
    log: (line) => log.push(line),
  });
  const plan = await network.plan({
    ...wanted,
    security_group_rules: [
      ...wanted.security_group_rules,
      { protocol: "tcp", from_port: 7777, to_port: 7777, source_cidr: "10.9.9.9/32", source_group_id: null },
      { protocol: "tcp", from_port: 8080, to_port: 8080, source_cidr: null, source_group_id: "sg-web" },
    ],
  });
  assert.deepEqual(
    plan.vifs[0]!.port_forwards.map((f) => f.guest_port),
    [3389],
    "7777 (one source) and 8080 (a group's members only) are not forwarded",
  );
  assert.deepEqual(log, [
    "i-test0001: tcp 7777 is open to 10.9.9.9/32 only, which QEMU's restricted network cannot enforce: not forwarded (wall guests in: docs/networking.md)",
  ]);
});

test("user-mode networking, walled: each NIC a stream from the socket QEMU inherits (fd 3 on)", async () => {
  const network = new UserModeNetwork({
    forwardAddress: "127.0.0.1",
    guestUser: { uid: 64000, gid: 64000 },
    instances: new InstanceDirectories("/var/i"),
    log: () => {},
  });
  const plan = await network.plan({ ...wanted, vifs: [wanted.vifs[0]!, wanted.vifs[0]!] });
  assert.equal(plan.kind, "user-walled");
  const args = qemuArgs({
    ...vm,
    nics: network.nics({ ...wanted, vifs: [wanted.vifs[0]!, wanted.vifs[0]!] }, plan),
  });
  assert.deepEqual(after(args, "-netdev"), [
    "stream,id=net0,server=off,addr.type=fd,addr.str=3",
    "stream,id=net1,server=off,addr.type=fd,addr.str=4",
  ]);
});

test("the installer VM: CD-ROMs after the IDE disks, the first one booted, a floppy, a fixed clock", () => {
  const args = qemuArgs({
    ...vm,
    disks: [{ file: "/b/win.raw", format: "raw", bus: "virtio" }],
    cdroms: ["/r/win,1.iso", "/r/virtio.iso"],
    floppy: "/b/floppy.img",
    bootFromCdrom: true,
    rtcBase: "2014-04-01",
  });
  assert.deepEqual(after(args, "-rtc"), ["base=2014-04-01"]);
  assert.deepEqual(
    after(args, "-device").filter((d) => d.includes("drive=")),
    [
      "virtio-blk-pci,drive=disk0,bootindex=1",
      "ide-cd,drive=cd0,bus=ide.0,unit=0,bootindex=0",
      "ide-cd,drive=cd1,bus=ide.0,unit=1",
    ],
  );
  assert.ok(
    after(args, "-drive").includes("file=/r/win,,1.iso,format=raw,if=none,id=cd0,media=cdrom,readonly=on"),
  );
  assert.ok(after(args, "-drive").includes("file=/b/floppy.img,format=raw,if=floppy,index=0"));
  const withIdeDisks = qemuArgs({ ...vm, cdroms: ["/r/a.iso"] });
  assert.ok(after(withIdeDisks, "-device").includes("ide-cd,drive=cd0,bus=ide.1,unit=0"));
});
