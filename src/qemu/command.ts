// The QEMU command line of one VM, from what it should be. Pure: the agent
// starts the process; tests read the arguments.
import type { PortForward } from "../model/port-forward.js";

export interface DiskSpec {
  file: string;
  format: "raw" | "qcow2";
  /** virtio when the image has the `virtio` feature, IDE otherwise. */
  bus: "virtio" | "ide";
}

export interface NicSpec {
  mac: string;
  model: "virtio" | "e1000";
  backend: UserModeBackend | TapBackend | StreamBackend;
}

/**
 * A network stack outside QEMU (passt, the walled user-mode network) joined
 * by a connected socket QEMU inherits at file descriptor `fd`.
 */
export interface StreamBackend {
  kind: "stream";
  fd: number;
}

/** A tap the host made on a bridge (bridged networking): QEMU opens it and runs no script. */
export interface TapBackend {
  kind: "tap";
  ifname: string;
}

/**
 * QEMU's own user-mode network, restricted: the guest reaches nothing, not
 * even the outside; only the forwards from host ports reach it.
 */
export interface UserModeBackend {
  kind: "user";
  network: { cidr: string; gateway: string; dns: string | null };
  /** The guest's address, where forwarded connections go (QEMU would pick its DHCP start otherwise). */
  guestAddress: string;
  forwards: readonly PortForward[];
}

export interface VmSpec {
  name: string;
  cpuCores: number;
  memoryMb: number;
  accel: "kvm" | "tcg";
  disks: readonly DiskSpec[];
  nics: readonly NicSpec[];
  qmpSocket: string;
  serialLog: string;
  /** The VNC console, never open to all (QMP query-vnc tells where it is). */
  vnc?: VncConsole;
  /** The clock's start: utc, localtime (Windows keeps the hardware clock in local time), or a date. */
  rtcBase: string;
  /**
   * UEFI: OVMF's code (read-only) and the VM's own variable store, on q35
   * with SMM (Secure Boot's variables are guarded by it). Absent: the PC
   * BIOS (SeaBIOS) on i440fx.
   */
  firmware?: { code: string; vars: string };
  /** A TPM 2.0: the control socket of the VM's own swtpm, which holds its state. */
  tpm?: { socket: string };
  /** -cpu (guest-cpu.ts): QEMU's default model when absent. */
  cpu?: string;
  /**
   * Windows' clock, as libvirt sets it for Windows: the RTC slews to catch
   * up after a stall, no HPET, and KVM's in-kernel PIT delays lost ticks.
   */
  windowsClock?: boolean;
  pidFile?: string;
  /** Read-only CD-ROMs (installation and driver ISOs), in order after the disks. */
  cdroms?: readonly string[];
  /** A 1.44 MB floppy image, drive A:. */
  floppy?: string;
  /** Boot from the first CD-ROM instead of the first disk. */
  bootFromCdrom?: boolean;
  /**
   * A move's destination: paused, its state to come from a migration the
   * agent sets up over QMP (`migrate-incoming`) once it exports the disks.
   */
  incoming?: boolean;
}

/**
 * A VNC console on a unix socket (the host agent's instances: only their
 * owner's processes reach it), or on 127.0.0.1 at the first free display,
 * refusing everyone until a password is set over QMP (the image builder's VM,
 * for a person's VNC viewer); `password: false` only for the RFB tests.
 */
export type VncConsole = { socket: string } | { loopback: true; password: boolean };

export function qemuArgs(vm: VmSpec): string[] {
  const args = [
    "-name",
    vm.name,
    "-accel",
    vm.accel,
    "-machine",
    [vm.firmware ? "q35,smm=on" : "pc", ...(vm.windowsClock ? ["hpet=off"] : [])].join(","),
    "-smp",
    String(vm.cpuCores),
    "-m",
    String(vm.memoryMb),
    "-nodefaults",
    "-no-user-config",
    "-vga",
    "std",
    "-rtc",
    `base=${vm.rtcBase}${vm.windowsClock ? ",driftfix=slew" : ""}`,
    "-usb",
    "-device",
    "usb-tablet",
    "-serial",
    `file:${vm.serialLog}`,
    "-qmp",
    `unix:${vm.qmpSocket},server=on,wait=off`,
    "-display",
    "none",
  ];
  if (vm.firmware) {
    args.push("-global", "driver=cfi.pflash01,property=secure,value=on");
    args.push("-drive", `if=pflash,format=raw,unit=0,readonly=on,file=${escapeOption(vm.firmware.code)}`);
    args.push("-drive", `if=pflash,format=raw,unit=1,file=${escapeOption(vm.firmware.vars)}`);
  }
  if (vm.tpm) {
    args.push("-chardev", `socket,id=chrtpm,path=${escapeOption(vm.tpm.socket)}`);
    args.push("-tpmdev", "emulator,id=tpm0,chardev=chrtpm", "-device", "tpm-tis,tpmdev=tpm0");
  }
  if (vm.cpu) args.push("-cpu", vm.cpu);
  if (vm.windowsClock && vm.accel === "kvm") args.push("-global", "kvm-pit.lost_tick_policy=delay");
  if (vm.vnc) args.push("-vnc", vncOption(vm.vnc));
  if (vm.pidFile) args.push("-pidfile", vm.pidFile);
  if (vm.incoming) args.push("-incoming", "defer", "-S");
  // i440fx's PIIX has two IDE buses of two units; q35's AHCI has six ports (buses) of one.
  const ideSlot = (n: number) => (vm.firmware ? `bus=ide.${n}` : `bus=ide.${n >> 1},unit=${n & 1}`);
  vm.disks.forEach((d, i) => {
    args.push(
      "-drive",
      `file=${escapeOption(d.file)},format=${d.format},if=none,id=disk${i},cache=writeback`,
    );
    args.push(
      "-device",
      (d.bus === "virtio" ? `virtio-blk-pci,drive=disk${i}` : `ide-hd,drive=disk${i},${ideSlot(i)}`) +
        // The first disk is the boot disk: the firmware tries no network boot (OVMF drops what has no bootindex).
        (i === 0 ? ",bootindex=1" : ""),
    );
  });
  // CD-ROMs take the IDE places after the IDE disks.
  const ideDisks = vm.disks.filter((d) => d.bus === "ide").length;
  vm.cdroms?.forEach((iso, i) => {
    const at = ideDisks + i;
    const boot = vm.bootFromCdrom && i === 0 ? ",bootindex=0" : "";
    args.push("-drive", `file=${escapeOption(iso)},format=raw,if=none,id=cd${i},media=cdrom,readonly=on`);
    args.push("-device", `ide-cd,drive=cd${i},${ideSlot(at)}${boot}`);
  });
  if (vm.floppy) args.push("-drive", `file=${escapeOption(vm.floppy)},format=raw,if=floppy,index=0`);
  vm.nics.forEach((n, i) => {
    const b = n.backend;
    const device = `${n.model === "virtio" ? "virtio-net-pci" : "e1000"},netdev=net${i},mac=${n.mac}`;
    if (b.kind === "tap") {
      args.push("-netdev", `tap,id=net${i},ifname=${b.ifname},script=no,downscript=no`, "-device", device);
      return;
    }
    if (b.kind === "stream") {
      args.push("-netdev", `stream,id=net${i},server=off,addr.type=fd,addr.str=${b.fd}`, "-device", device);
      return;
    }
    const forwards = b.forwards.map(
      (f) => `,hostfwd=${f.protocol}:${f.host_address}:${f.host_port}-${b.guestAddress}:${f.guest_port}`,
    );
    const dns = b.network.dns ? `,dns=${b.network.dns}` : "";
    args.push(
      "-netdev",
      `user,id=net${i},restrict=on,net=${b.network.cidr},host=${b.network.gateway}${dns}${forwards.join("")}`,
    );
    args.push("-device", device);
  });
  return args;
}

function vncOption(vnc: VncConsole): string {
  if ("socket" in vnc) return `unix:${escapeOption(vnc.socket)}`;
  return `127.0.0.1:0,to=99${vnc.password ? ",password=on" : ""}`;
}

/** QEMU option values double their commas. */
function escapeOption(value: string): string {
  return value.replaceAll(",", ",,");
}
