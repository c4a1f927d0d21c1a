// vdc-manage refuses bad input with one clear line, a non-zero exit status,
// and a store exactly as it was.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { run, vdcManage } from "../helpers/cli.js";
import { commandsOnPath, repoRoot } from "../helpers/paths.js";
import { backends, freshStore, type TestStore } from "../helpers/stores.js";

interface Case {
  args: string[];
  message: RegExp;
  /** 2: the command line is wrong; 1: a value is refused. */
  exit: 1 | 2;
  env?: NodeJS.ProcessEnv;
}

const bo = "bo-windows2008r2";
const boAdd = ["backupobject", "add", "--storage-id=bkst-local", "--object-key=x.raw", "--size=1024"];
const md5 = "--checksum=17c696598a69760ac1110f1418b1bbea";
const imageAdd = ["image", "add", "local", bo, "--display-name=x"];
const netAdd = ["network", "add", "--ipv4-network=10.1.0.0", "--prefix=24"];

const cases: Case[] = [
  // host
  {
    args: ["host", "add", "hva.x", "--force", "--hypervisor", "xen"],
    message: /--hypervisor: 'xen' is not allowed: use one of kvm$/,
    exit: 1,
  },
  {
    args: ["host", "add", "hva.x", "--force", "--arch=arm64"],
    message: /--arch: 'arm64' is not allowed: use one of x86_64, x86$/,
    exit: 1,
  },
  {
    args: ["host", "add", "hva.x", "--force", "--cpu-cores", "0"],
    message: /--cpu-cores: '0' is too small: it must be a positive whole number$/,
    exit: 1,
  },
  {
    args: ["host", "add", "hva.x", "--force", "--memory-size", "lots"],
    message: /--memory-size: 'lots' is not a positive whole number$/,
    exit: 1,
  },
  {
    args: ["host", "add", "hva.x", "--force", "--disk-space=-1"],
    message: /--disk-space: '-1' is too small/,
    exit: 1,
  },
  {
    args: ["host", "add", "hva.x", "--force", "--uuid", "hn-demo1"],
    message: /--uuid: host node 'hn-demo1' exists already: choose another --uuid/,
    exit: 1,
  },
  {
    args: ["host", "add", "hva.x", "--force", "--uuid", "bo-x1"],
    message: /--uuid: 'bo-x1' must start with 'hn-' \(a host node uuid\)/,
    exit: 1,
  },
  {
    args: ["host", "add", "hva.x", "--force", "--uuid", "hn-Big"],
    message: /--uuid: 'hn-Big' must be 'hn-' followed by 1 to 32 lowercase letters or digits/,
    exit: 1,
  },
  {
    args: ["host", "add", "hva.demo1", "--force", "--uuid", "hn-other"],
    message: /node ID hva.demo1 is registered already as hn-demo1/,
    exit: 1,
  },
  {
    args: ["host", "add", "hva.new"],
    message:
      /node ID hva.new has not reported in yet: start its agent \(hva --node-id hva.new\) first, or add --force/,
    exit: 1,
  },
  {
    args: ["host", "add", "bad id!", "--force"],
    message: /NODE_ID: 'bad id!' is not valid: use letters, digits, dots/,
    exit: 1,
  },
  {
    args: ["host", "add"],
    message: /missing NODE_ID: usage: vdc-manage host add NODE_ID \[options\]/,
    exit: 2,
  },
  {
    args: ["host", "add", "hva.x", "--force", "--cpu-cores"],
    message: /--cpu-cores needs a value: --cpu-cores=VALUE \(a positive whole number\)/,
    exit: 2,
  },
  {
    args: ["host", "add", "hva.x", "--force", "--cpu-core", "4"],
    message: /unknown option --cpu-core for 'vdc-manage host add': did you mean --cpu-cores\?/,
    exit: 2,
  },
  {
    args: ["host", "add", "hva.x", "--force", "--force"],
    message: /--force is given twice; give it once/,
    exit: 2,
  },
  { args: ["host", "add", "hva.x", "extra", "--force"], message: /unexpected argument 'extra'/, exit: 2 },
  {
    args: ["host", "modify", "hn-demo1"],
    message: /nothing to change: give at least one option \(see 'vdc-manage host modify --help'\)/,
    exit: 2,
  },
  {
    args: ["host", "modify", "hn-nothere", "--cpu-cores", "2"],
    message: /unknown host node 'hn-nothere': see 'vdc-manage host show'/,
    exit: 1,
  },
  { args: ["host", "del", "hn-nothere"], message: /unknown host node 'hn-nothere'/, exit: 1 },
  {
    args: ["host", "frobnicate"],
    message:
      /unknown command 'frobnicate' for 'vdc-manage host': use one of add, modify, del, show, evacuate, enable/,
    exit: 2,
  },
  { args: ["host", "evacuate", "hn-nothere"], message: /unknown host node 'hn-nothere'/, exit: 1 },
  {
    args: ["host", "evacuate", "hn-demo1", "--parallel", "0"],
    message: /--parallel: '0' is too small: it must be a positive whole number/,
    exit: 1,
  },
  {
    args: ["host", "evacuate", "hn-demo1", "--parallel", "17"],
    message: /--parallel: '17' is too large: at most 16/,
    exit: 1,
  },
  { args: ["host", "enable", "hn-nothere"], message: /unknown host node 'hn-nothere'/, exit: 1 },
  // backup storage
  {
    args: ["backupstorage", "add", "--storage-type", "local"],
    message: /--base-uri is required \(file:\/\/\/path\/ or http\(s\):\/\/host\/path\/\)/,
    exit: 2,
  },
  {
    args: ["backupstorage", "add", "--base-uri=file:///srv/img", "--storage-type=s3"],
    message: /--storage-type: 's3' is not allowed: use one of local, webdav/,
    exit: 1,
  },
  {
    args: ["backupstorage", "add", "--base-uri=ftp://h/x", "--storage-type=webdav"],
    message: /--base-uri: 'ftp:\/\/h\/x' has scheme ftp/,
    exit: 1,
  },
  {
    args: ["backupstorage", "add", "--base-uri=http://h/x/", "--storage-type=local"],
    message: /--base-uri: a local storage needs a file:\/\/\/path\/ URI; use --storage-type webdav/,
    exit: 1,
  },
  {
    args: ["backupstorage", "add", "--base-uri=file:///x", "--storage-type=local", "--uuid=bkst-local"],
    message: /backup storage 'bkst-local' exists already/,
    exit: 1,
  },
  {
    args: ["backupstorage", "del", "bkst-local"],
    message: /bkst-local is still in use: backup object bo-windows2008r2 is stored there/,
    exit: 1,
  },
  // backup object
  {
    args: [...boAdd],
    message: /--checksum is required \(32 hexadecimal digits, as md5sum prints\)/,
    exit: 2,
  },
  {
    args: [...boAdd, "--checksum=abc"],
    message: /--checksum: 'abc' is not an md5 checksum: give the 32 hexadecimal digits md5sum prints/,
    exit: 1,
  },
  { args: [...boAdd.slice(0, -1), "--size=0", md5], message: /--size: '0' is too small/, exit: 1 },
  {
    args: [...boAdd.slice(0, -1), "--size=30G", md5],
    message: /--size: '30G' is not a positive whole number/,
    exit: 1,
  },
  {
    args: [...boAdd, md5, "--allocation-size=1.5"],
    message: /--allocation-size: '1.5' is not a positive whole number/,
    exit: 1,
  },
  {
    args: ["backupobject", "add", "--storage-id=bkst-nothere", "--object-key=x", "--size=1", md5],
    message: /--storage-id: unknown backup storage 'bkst-nothere': see 'vdc-manage backupstorage show'/,
    exit: 1,
  },
  {
    args: [...boAdd, md5, "--account-id=a-nobody"],
    message: /--account-id: unknown account 'a-nobody'/,
    exit: 1,
  },
  {
    args: [...boAdd, md5, "--container-format=zip"],
    message: /--container-format: 'zip' is not allowed: use one of tgz, gz, tar, none/,
    exit: 1,
  },
  {
    args: ["backupobject", "add", "--storage-id=bkst-local", "--object-key=../etc/passwd", "--size=1", md5],
    message:
      /--object-key: '..\/etc\/passwd' is not valid: use a file name or relative path inside the backup storage/,
    exit: 1,
  },
  ...(
    [
      ["%2e%2e/%2e%2e/etc/shadow", "it has . or .. in it"],
      ["..\\..\\etc\\shadow", "it holds a backslash"],
      ["file:///etc/shadow", "it names a scheme"],
      ["a/%2Fb/../../c", "it has . or .. in it"],
      ["x.raw%", "its %-escapes are not valid"],
    ] as const
  ).map(
    ([key, why]): Case => ({
      args: ["backupobject", "add", "--storage-id=bkst-local", `--object-key=${key}`, "--size=1", md5],
      message: new RegExp(`--object-key: .* is not valid: .*\\(${why.replace(/[.]/g, "\\.")}\\)`),
      exit: 1,
    }),
  ),
  {
    args: [...boAdd, md5, `--uuid=${bo}`],
    message: /--uuid: backup object 'bo-windows2008r2' exists already/,
    exit: 1,
  },
  { args: [...boAdd, md5, "--uuid=wmi-xyz"], message: /--uuid: 'wmi-xyz' must start with 'bo-'/, exit: 1 },
  {
    args: ["backupobject", "del", bo],
    message:
      /bo-windows2008r2 is still in use: image wmi-windows2008r2 is made from it: delete the image first/,
    exit: 1,
  },
  {
    args: ["backupobject", "modify", bo, "--storage-id=bkst-gone"],
    message: /--storage-id: unknown backup storage 'bkst-gone'/,
    exit: 1,
  },
  { args: ["backupobject", "show", "bo-nothere"], message: /unknown backup object 'bo-nothere'/, exit: 1 },
  // image
  {
    args: ["image", "add", "local", "bo-nothere", "--display-name=x"],
    message: /BACKUP_OBJECT_UUID: unknown backup object 'bo-nothere'/,
    exit: 1,
  },
  { args: ["image", "add", "local", bo], message: /--display-name is required/, exit: 2 },
  {
    args: [...imageAdd, "--file-format=vmdk"],
    message: /--file-format: 'vmdk' is not allowed: use one of raw, qcow2/,
    exit: 1,
  },
  {
    args: [...imageAdd, "--os-type=macos"],
    message: /--os-type: 'macos' is not allowed: use one of linux, windows/,
    exit: 1,
  },
  {
    args: [...imageAdd, "--root-device=/dev/sda1"],
    message: /--root-device: '\/dev\/sda1' is not valid: use label:NAME or uuid:ID/,
    exit: 1,
  },
  {
    args: [...imageAdd, "--uuid=wmi-windows2008r2"],
    message: /--uuid: image 'wmi-windows2008r2' exists already/,
    exit: 1,
  },
  { args: [...imageAdd, "--is-public=yes"], message: /--is-public: 'yes' is not true or false/, exit: 1 },
  {
    args: ["image", "add", "volume", bo],
    message: /unknown command 'volume' for 'vdc-manage image add': use one of local/,
    exit: 2,
  },
  {
    args: ["image", "modify", "wmi-windows2008r2", "--os-type=solaris"],
    message: /--os-type: 'solaris' is not allowed: use one of linux, windows/,
    exit: 1,
  },
  {
    args: ["image", "modify", "wmi-windows2008r2", "--no-display-name"],
    message: /--no-display-name: only flags can be turned off with --no-; --display-name takes a value/,
    exit: 2,
  },
  { args: ["image", "features", "wmi-windows2008r2"], message: /nothing to change/, exit: 2 },
  {
    args: ["image", "features", "wmi-windows2008r2", "--virtio=maybe"],
    message: /--virtio: 'maybe' is not true or false/,
    exit: 1,
  },
  {
    args: ["image", "features", "wmi-windows2008r2", "--secure-boot"],
    message:
      /--secure-boot needs --uefi: Secure Boot is the UEFI firmware's \(give --uefi too, or --no-secure-boot\)/,
    exit: 2,
  },
  {
    args: ["image", "add", "local", bo, "--display-name=sb", "--secure-boot", "--tpm"],
    message: /--secure-boot needs --uefi/,
    exit: 2,
  },
  {
    args: ["image", "features", "wmi-nothere", "--virtio"],
    message: /unknown image 'wmi-nothere': see 'vdc-manage image show'/,
    exit: 1,
  },
  // instance specs
  {
    args: ["spec", "modify", "kvm.small", "--cpu-model=host,+avx"],
    message: /--cpu-model: .* a QEMU CPU model name, e\.g\. host, Nehalem/,
    exit: 1,
  },
  {
    args: ["spec", "add", "kvm.small", "--cpu-cores=1", "--memory-size=1024"],
    message: /instance spec kvm.small exists already: change it with 'vdc-manage spec modify kvm.small'/,
    exit: 1,
  },
  {
    args: ["spec", "add", "Big.Spec", "--cpu-cores=1", "--memory-size=1"],
    message: /NAME: 'Big.Spec' is not valid: use lowercase letters, digits, dots and dashes/,
    exit: 1,
  },
  { args: ["spec", "add", "kvm.huge", "--memory-size=1024"], message: /--cpu-cores is required/, exit: 2 },
  {
    args: ["spec", "add", "kvm.huge", "--cpu-cores=999", "--memory-size=1024"],
    message: /--cpu-cores: '999' is too large: at most 256/,
    exit: 1,
  },
  { args: ["spec", "del", "kvm.nothere"], message: /unknown instance spec 'kvm.nothere'/, exit: 1 },
  // networks
  { args: ["network", "add", "--ipv4-network=10.1.0.0"], message: /--prefix is required/, exit: 2 },
  {
    args: ["network", "add", "--ipv4-network=10.1.0.300", "--prefix=24"],
    message: /--ipv4-network: '10.1.0.300' is not an IPv4 address/,
    exit: 1,
  },
  {
    args: ["network", "add", "--ipv4-network=10.1.0.0", "--prefix=33"],
    message: /--prefix: '33' is too large: at most 30/,
    exit: 1,
  },
  {
    args: [...netAdd, "--ipv4-gw=10.2.0.1"],
    message: /--ipv4-gw: 10.2.0.1 is not a host address of 10.1.0.0\/24 \(10.1.0.1 to 10.1.0.254\)/,
    exit: 1,
  },
  {
    args: [...netAdd, "--range-begin=10.1.0.200", "--range-end=10.1.0.100"],
    message: /--range-begin 10.1.0.200 comes after --range-end 10.1.0.100: swap them/,
    exit: 1,
  },
  {
    args: [...netAdd, "--network-mode=bridge"],
    message: /--network-mode: 'bridge' is not allowed: use one of securitygroup, passthru, l2overlay/,
    exit: 1,
  },
  { args: [...netAdd, "--uuid=nw-demo1"], message: /--uuid: network 'nw-demo1' exists already/, exit: 1 },
  {
    args: [...netAdd, "--uplink=vlan:5000"],
    message: /--uplink: 'vlan:5000' is not an uplink: use none, interface, vlan:ID \(1-4094\) or vxlan:VNI/,
    exit: 1,
  },
  {
    args: [...netAdd, "--range-end=10.1.0.250", "--dhcp-server=10.1.0.9"],
    message: /--dhcp-server 10.1.0.9 is inside the range 10.1.0.1-10.1.0.250: take an address outside it/,
    exit: 1,
  },
  {
    args: [...netAdd, "--range-end=10.1.0.250", "--ipv4-gw=10.1.0.254", "--dhcp-server=10.1.0.254"],
    message: /--dhcp-server 10.1.0.254 is the gateway: take another address/,
    exit: 1,
  },
  {
    args: ["network", "modify", "nw-demo1", "--dhcp-server=10.0.2.120"],
    message: /inside the range/,
    exit: 1,
  },
  // key pairs, security groups
  {
    args: ["keypair", "show", "ssh-nothere"],
    message: /unknown ssh key pair 'ssh-nothere': see 'vdc-manage keypair show'/,
    exit: 1,
  },
  { args: ["keypair", "del", "sg-abc"], message: /UUID: 'sg-abc' must start with 'ssh-'/, exit: 1 },
  { args: ["securitygroup", "del", "sg-nothere"], message: /unknown security group 'sg-nothere'/, exit: 1 },
  // the command line and the environment
  { args: [], message: /which command\? see 'vdc-manage --help'/, exit: 2 },
  {
    args: ["hots", "show"],
    message: /unknown command 'hots' for 'vdc-manage': use one of host, backupstorage/,
    exit: 2,
  },
  {
    args: ["host", "show"],
    env: { DATABASE_URL: "mysql://db/x" },
    message:
      /DATABASE_URL 'mysql:\/\/db\/x' is not a PostgreSQL URL: use postgres:\/\/user:password@host:5432\/dbname, or unset it/,
    exit: 1,
  },
];

const bin = commandsOnPath();

for (const backend of backends) {
  describe(`vdc-manage refuses bad input on ${backend}`, () => {
    let t: TestStore;
    before(async () => {
      t = await freshStore(backend);
      const seeded = await run("bash", [join(repoRoot, "test/fixtures/seed-registration.sh")], {
        ...t.env,
        PATH: `${bin}:${process.env.PATH}`,
      });
      assert.equal(seeded.code, 0, seeded.stderr);
    });
    after(() => t.dispose());

    for (const c of cases) {
      test(`vdc-manage ${c.args.join(" ")}${c.env ? ` (${Object.keys(c.env).join(",")})` : ""}`, async () => {
        const before = await t.snapshot();
        const r = await vdcManage(c.args, { ...t.env, ...c.env });
        const lines = r.stderr.trimEnd().split("\n");
        assert.equal(lines.length, 1, `one line on stderr, got: ${r.stderr}`);
        assert.match(lines[0]!, /^vdc-manage: /);
        assert.match(lines[0]!, c.message);
        assert.equal(r.code, c.exit);
        assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
        assert.equal(await t.snapshot(), before, "the store changed");
      });
    }
  });
}
