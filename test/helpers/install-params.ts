// Install parameters of a build, as step 1 records them, for tests of what the builder writes.
import type { InstallParams } from "../../src/imagebuild/install-params.js";

export const installParams = (
  version: InstallParams["version"],
  winLang: InstallParams["winLang"],
  winKey: string,
): InstallParams => ({
  version,
  winIso: "/r/win.iso",
  winKey,
  ansFile: `Autounattend-${version}-${winLang}.xml`,
  winLang,
  imageName: `Windows Server ${version} SERVERSTANDARD`,
  virtioIso: "/r/virtio.iso",
  virtioPaths: ["E:\\viostor\\2k19\\amd64", "E:\\NetKVM\\2k19\\amd64"],
  extraInstallers: ["/r/agent setup.msi"],
  imageSize: "30G",
  installMac: "52-54-00-11-a0-5b",
  bootMac: "52-54-00-11-a0-5b",
  installDate: "2014-04-01",
  accel: "tcg",
  memoryMb: 2048,
  cpus: 2,
  ipv4: "10.0.2.15",
  netmask: "255.255.255.0",
  gateway: "10.0.2.2",
  firstBoot: true,
  autoActivate: false,
  proxy: "",
  needlesDir: "/work/needles",
  consoleScript: "/work/console.yaml",
  keyRate: 40,
});
