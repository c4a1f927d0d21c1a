// Steps 1001 to 1003, the optional first-boot test of the built image: boot
// it (through a copy-on-write overlay, so the image stays as packaged) with a
// metadata drive and a test key as the host agent would, wait for the guest
// to write pw.enc and power off, decrypt and print the password, then boot a
// second time with meta-data/first-boot removed.
import { generateKeyPairSync } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { type MetadataContent, metadataPaths, passwordRules } from "../../model/guest-protocol.js";
import { netmaskToPrefix, networkAddress } from "../../model/ipv4.js";
import { decryptPassword } from "../../model/password-crypto.js";
import { readPrivateKey } from "../../model/ssh-private-key.js";
import { rsaPublicKeyToOpenSsh } from "../../model/ssh-public-key.js";
import { freeHostPort } from "../../qemu/host-port.js";
import type { InstallParams } from "../install-params.js";
import { bootBuildVm } from "./3-boot-with-install-iso-and-floppy.js";
import type { StepContext } from "./context.js";

export const gen0 = {
  overlay: "gen0-disk.qcow2",
  metadata: "metadata.img",
  key: "testsshkey",
  rdp: "gen0-rdp-port",
} as const;

function metadataFor(p: InstallParams, publicKey: string): MetadataContent {
  return {
    instanceId: "i-gen0",
    hostname: "gen0",
    interfaces: [
      {
        mac: p.bootMac.replaceAll("-", ":"),
        ipv4: p.ipv4,
        netmask: p.netmask,
        gateway: p.gateway,
        dns: null,
      },
    ],
    publicKey,
    firstBoot: p.firstBoot,
    enableFirewall: false,
    autoActivate: p.autoActivate ? { proxy: p.proxy || null, kmsHost: null } : null,
    productKey: null,
    retryGenPassword: passwordRules.defaultRetries,
    extraHosts: {},
    userData: null,
  };
}

/** Boots the test VM: the first boot with a new variable store and TPM, as a newly launched instance; the second keeps them. */
async function bootGen0(ctx: StepContext, p: InstallParams, first: boolean): Promise<void> {
  const rdpPort = await freeHostPort("127.0.0.1");
  await ctx.write(gen0.rdp, String(rdpPort));
  const prefix = netmaskToPrefix(p.netmask);
  await bootBuildVm(
    ctx,
    {
      cpuCores: p.cpus,
      memoryMb: p.memoryMb,
      disks: [
        { file: ctx.file(gen0.overlay), format: "qcow2", bus: "virtio" },
        { file: ctx.file(gen0.metadata), format: "raw", bus: "virtio" },
      ],
      nics: [
        {
          mac: p.bootMac.replaceAll("-", ":"),
          model: "virtio",
          backend: {
            kind: "user",
            network: { cidr: `${networkAddress(p.ipv4, prefix)}/${prefix}`, gateway: p.gateway, dns: null },
            guestAddress: p.ipv4,
            forwards: [{ protocol: "tcp", guest_port: 3389, host_address: "127.0.0.1", host_port: rdpPort }],
          },
        },
      ],
      rtcBase: "localtime",
    },
    { role: "gen0", fresh: first },
  );
  ctx.say(`remote desktop (port 3389) of the VM is forwarded to 127.0.0.1:${rdpPort}`);
}

export async function gen0FirstBoot(ctx: StepContext): Promise<void> {
  const p = await ctx.params();
  const winimg = ctx.file(await ctx.value("WINIMG"));
  if (await ctx.driver.vmPid(ctx.vm))
    throw new Error("the build's VM still runs: wait for it or use -kill-kvm");
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  await writeFile(ctx.file(gen0.key), privateKey.export({ type: "pkcs1", format: "pem" }), { mode: 0o600 });
  const openSsh = rsaPublicKeyToOpenSsh(publicKey, "wakame-ts-build-test");
  await writeFile(ctx.file(`${gen0.key}.pub`), `${openSsh}\n`);
  await rm(ctx.file(gen0.overlay), { force: true });
  await ctx.driver.createOverlay(winimg, ctx.file(gen0.overlay));
  await ctx.driver.writeMetadataDrive(ctx.file(gen0.metadata), metadataFor(p, openSsh));
  ctx.say(`metadata drive with a new test key (${gen0.key}), first-boot ${p.firstBoot ? "on" : "off"}`);
  await bootGen0(ctx, p, true);
}

/** The password the guest left in pw.enc, decrypted with the test key. */
export async function gen0Password(ctx: StepContext): Promise<string> {
  const cipher = await ctx.driver.readMetadataFile(ctx.file(gen0.metadata), metadataPaths.encryptedPassword);
  if (!cipher?.length)
    throw new Error(`the guest wrote no ${metadataPaths.encryptedPassword} on ${gen0.metadata}`);
  const key = readPrivateKey(await readFile(ctx.file(gen0.key), "utf8"));
  return decryptPassword(key, cipher.toString("base64"));
}

export async function gen0WaitForPassword(ctx: StepContext): Promise<void> {
  if (!existsSync(ctx.file(gen0.metadata)))
    throw new Error("no metadata drive: run 1001-gen0-first-boot first");
  const started = Date.now();
  let lastSaid = 0;
  while (await ctx.driver.vmPid(ctx.vm)) {
    if (Date.now() - lastSaid >= 60_000) {
      lastSaid = Date.now();
      ctx.say(
        `waiting for the first boot to write the password and power off (${Math.round((Date.now() - started) / 1000)} s so far)`,
      );
    }
    await sleep(500);
  }
  ctx.say(`Administrator password: ${await gen0Password(ctx)}`);
}

export async function gen0SecondBoot(ctx: StepContext): Promise<void> {
  if (!existsSync(ctx.file(gen0.metadata)))
    throw new Error("no metadata drive: run 1001-gen0-first-boot first");
  // As the host agent does: a reboot never makes a new password.
  await ctx.driver.deleteMetadataFile(ctx.file(gen0.metadata), metadataPaths.firstBoot);
  ctx.say(`${metadataPaths.firstBoot} removed from the metadata drive`);
  await bootGen0(ctx, await ctx.params(), false);
}
