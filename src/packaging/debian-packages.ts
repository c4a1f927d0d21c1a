// The Debian packages of wakame-ts, named after the original's: what each
// carries and needs. Pure: build-deb.ts lays them out and runs dpkg-deb.
// Each part lives in /usr/lib/wakame-vdc/<part>/ laid out as a checkout is
// (bin/, dist/bin/, dist/gui/, guest/, node_modules/), so the same code runs
// from both; the part's commands are linked into /usr/bin.

export interface DebianPackage {
  readonly name: string;
  /** The folder under /usr/lib/wakame-vdc/. */
  readonly part: string;
  readonly architecture: "all" | "amd64";
  readonly section: string;
  /** Debian packages, besides Node.js (every one needs nodejs >= 20). */
  readonly depends: readonly string[];
  /** Commands in /usr/bin, each the checkout's bin/<name>.js (with its `.sh` alias where the seed types one). */
  readonly commands: readonly string[];
  readonly shAliases: readonly string[];
  /** Folders of the checkout it carries besides the commands' bundles. */
  readonly folders: readonly string[];
  /** Files under /etc/wakame-vdc/ (packaging/deb/), kept on remove, removed on purge. */
  readonly conffiles: readonly string[];
  /** A systemd unit of packaging/deb/, and the service's maintainer-script settings. */
  readonly service?: ServiceSettings;
  readonly docs: readonly string[];
  readonly summary: string;
  readonly description: string;
}

export interface ServiceSettings {
  readonly unit: string;
  /** The conffile that holds secrets: readable by the service's group only. */
  readonly privateConf: string;
  /** Folders under /var/lib/wakame-vdc this package owns: made on install, removed on purge. */
  readonly stateDirs: readonly string[];
  /** Files there it owns, removed on purge. */
  readonly stateFiles: readonly string[];
  /** Files under /etc/wakame-vdc the operator writes (not conffiles), removed on purge. */
  readonly secrets: readonly string[];
  /** Supplementary groups of the service's user, where the system has them. */
  readonly groups: readonly string[];
  /** More system users the service starts processes as (each with its own group), made on install. */
  readonly systemUsers: readonly string[];
  /** A self-signed certificate and key for HTTPS, made on install when neither is there: PATH.crt, PATH.key. */
  readonly tlsPair: string | null;
}

export const nodeDependency = "nodejs (>= 20)";
export const serviceUser = "wakame-vdc";
export const stateDir = "/var/lib/wakame-vdc";

export const debianPackages: readonly DebianPackage[] = [
  {
    name: "wakame-vdc-dcmgr",
    part: "dcmgr",
    architecture: "amd64", // better-sqlite3's compiled SQLite
    section: "admin",
    depends: ["adduser", "init-system-helpers (>= 1.54~)", "openssl", "libc6", "libgcc-s1", "libstdc++6"],
    commands: ["dcmgr", "vdc-manage"],
    shAliases: [],
    folders: ["dist/gui"],
    conffiles: ["dcmgr.conf"],
    service: {
      unit: "wakame-vdc-dcmgr.service",
      privateConf: "dcmgr.conf",
      stateDirs: ["images"],
      stateFiles: ["wakame.sqlite3", "wakame.sqlite3-wal", "wakame.sqlite3-shm"],
      secrets: ["tls/dcmgr.crt", "tls/dcmgr.key"],
      groups: [],
      systemUsers: [],
      tlsPair: "/etc/wakame-vdc/tls/dcmgr",
    },
    docs: ["docs/install.md", "docs/api.md", "docs/vdc-manage.md", "docs/web-gui.md"],
    summary: "Wakame-vdc API server (dcmgr), web GUI and vdc-manage",
    description:
      "The controller of a wakame-ts cloud: the v12.03 API that mussel and the\n" +
      "web GUI use, the registry of hosts, images, networks and instances (SQLite\n" +
      "or PostgreSQL), and vdc-manage to register them. Runs as\n" +
      "wakame-vdc-dcmgr.service from /etc/wakame-vdc/dcmgr.conf.",
  },
  {
    name: "wakame-vdc-hva-kvm",
    part: "hva",
    architecture: "all",
    section: "admin",
    depends: [
      "adduser",
      "init-system-helpers (>= 1.54~)",
      "qemu-system-x86",
      "qemu-utils",
      "mtools",
      "passt",
      "iproute2",
      "nftables",
      "conntrack",
      "dnsmasq-base",
    ],
    commands: ["hva"],
    shAliases: [],
    folders: [],
    conffiles: ["hva.conf"],
    service: {
      unit: "wakame-vdc-hva.service",
      privateConf: "hva.conf",
      stateDirs: ["instances", "image-cache", "networks"],
      stateFiles: ["kvm-probe.json"],
      secrets: ["hva.token"],
      groups: ["kvm"],
      // User-mode guests' network stacks (passt) run as it, walled off from the host.
      systemUsers: ["wakame-vdc-guest"],
      tlsPair: null,
    },
    docs: ["docs/install.md", "docs/hva.md", "docs/networking.md"],
    summary: "Wakame-vdc host agent (hva) for KVM",
    description:
      "Runs the instances dcmgr places on this host as QEMU/KVM virtual machines:\n" +
      "their disks and metadata drives, the first-boot Administrator password,\n" +
      "user-mode networking walled off from the host (passt), or bridged\n" +
      "networking with nftables security groups and DHCP.\n" +
      "Runs as wakame-vdc-hva.service from /etc/wakame-vdc/hva.conf; stopping\n" +
      "it leaves the virtual machines running, and it adopts them when it starts.",
  },
  {
    name: "wakame-vdc-client-mussel",
    part: "mussel",
    architecture: "all",
    section: "utils",
    depends: [],
    commands: ["mussel"],
    shAliases: [],
    folders: [],
    conffiles: ["musselrc"],
    docs: [],
    summary: "Wakame-vdc command-line client (mussel)",
    description:
      "The user's command line for a wakame-ts or Wakame-vdc cloud: instances,\n" +
      "images, key pairs, security groups, and decrypt_password, which decrypts\n" +
      "a Windows instance's initial password with the user's own ssh key, on\n" +
      "the user's machine. Reads /etc/wakame-vdc/musselrc and ~/.musselrc.",
  },
  {
    name: "wakame-vdc-image-builder",
    part: "image-builder",
    architecture: "all",
    section: "admin",
    depends: ["qemu-system-x86", "qemu-utils", "mtools", "pigz", "ntfs-3g"],
    commands: ["build-dir-utils", "auto-windows-image-build", "needle"],
    shAliases: ["build-dir-utils", "auto-windows-image-build"],
    folders: ["guest/windows"],
    conffiles: [],
    docs: ["docs/image-build.md", "docs/needles.md", "docs/guest-scripts.md", "docs/windows-image-build.ini"],
    summary: "Wakame-vdc Windows seed image builder",
    description:
      "Builds Windows seed images from an installation ISO: step by step\n" +
      "(build-dir-utils.sh ... -do-next) or fully automatically by reading the\n" +
      "virtual machine's screen over VNC (auto-windows-image-build.sh), with the\n" +
      "Windows guest scripts and needle tools, and packages them for\n" +
      "/var/lib/wakame-vdc/images.",
  },
];
