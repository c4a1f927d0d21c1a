// The seed-image build: one ordered list of steps (image-build.md, "Steps, in
// order"). Each automatic step's work is its own module under steps/; manual
// steps (-M-) are what the user does at the VM's console, confirmed with
// -done. The extra installers of a build (EXTRA_INSTALLERS) each bring a
// manual step after the sysprep script starts them.
import { basename } from "node:path";
import { temporaryPassword } from "./floppy-content.js";
import { setupInstall } from "./steps/1-setup-install.js";
import { createFloppyImageWithAnswerFile } from "./steps/2-create-floppy-image-with-answer-file.js";
import { bootWithInstallIsoAndFloppy } from "./steps/3-boot-with-install-iso-and-floppy.js";
import { waitForShutdown } from "./steps/24-wait-for-shutdown.js";
import { makeSimpleTarOfImage } from "./steps/26-make-simple-tar-of-image.js";
import { packageToWakameTgzImage } from "./steps/27-package-to-wakame-tgz-image.js";
import { packageToWakameQcow2Image } from "./steps/28-package-to-wakame-qcow2-image.js";
import { gen0FirstBoot, gen0SecondBoot, gen0WaitForPassword } from "./steps/1001-first-boot-test.js";
import type { StepContext } from "./steps/context.js";
import { recordWindowsLogs } from "./steps/record-windows-logs.js";

export interface Step {
  name: string;
  kind: "auto" | "manual";
  /** What the user is told to do when this step is next. */
  instructions: string;
  run?: (ctx: StepContext) => Promise<void>;
}

const auto = (name: string, instructions: string, run: Step["run"]): Step => ({
  name,
  kind: "auto",
  instructions,
  run,
});
const manual = (name: string, instructions: string): Step => ({ name, kind: "manual", instructions });

function installerSteps(installers: readonly string[]): Step[] {
  return installers.map((path, i) => {
    const file = basename(path);
    const word = file
      .replace(/\.[^.]*$/, "")
      .replace(/[^A-Za-z0-9]+/g, "-")
      .toLowerCase();
    return manual(
      `${12 + i}-M-finish-installer-${word}`,
      `Click through the installer ${file} that run-sysprep started until it is done, then -done.`,
    );
  });
}

/** Every step of a build, in order, with its extra installers' steps. */
export function buildSteps(extraInstallers: readonly string[] = []): Step[] {
  return [
    auto(
      "1-setup-install",
      "Do -do-next to read windows-image-build.ini and the environment (ISOnnnn, KEYnnnn) and check ./resources/.",
      setupInstall,
    ),
    auto(
      "2-create-floppy-image-with-answer-file",
      "Do -do-next to make the floppy with Autounattend.xml and the guest scripts.",
      createFloppyImageWithAnswerFile,
    ),
    auto(
      "3-boot-with-install-iso-and-floppy",
      "Do -do-next to create the blank image and boot the installer (VNC address in kvm.vnc, its password in kvm.vnc-password).",
      bootWithInstallIsoAndFloppy,
    ),
    manual(
      "4-M-wait-for-ctrl-alt-delete-screen",
      "Watch the console over VNC (address in kvm.vnc, password in kvm.vnc-password) until the Ctrl+Alt+Del screen shows, then -done.",
    ),
    auto(
      "5-record-logs-at-ctrl-alt-delete-screen",
      "Do -do-next to archive Windows' setup logs (logs-001-at-ctrl-alt-delete-screen.tar.gz).",
      recordWindowsLogs("logs-001-at-ctrl-alt-delete-screen.tar.gz"),
    ),
    manual("6-M-press-ctrl-alt-delete-screen", "Send Ctrl+Alt+Del over VNC, then -done."),
    manual(
      "7-M-enter-temporary-password",
      `Log in as Administrator with the answer file's temporary password, ${temporaryPassword} , then -done.`,
    ),
    manual("8-M-wait-for-desktop", "Wait for the desktop, then -done."),
    manual("9-M-close-server-manager", "Close Server Manager if it opened, then -done."),
    manual("10-M-open-powershell-window", "Open a PowerShell window, then -done."),
    manual(
      "11-M-run-sysprep-script",
      "Type 'a:run-sysprep' in the PowerShell window and press Enter, then -done.",
    ),
    ...installerSteps(extraInstallers),
    auto("24-wait-for-shutdown", "Do -do-next to wait for sysprep to power the VM off.", waitForShutdown),
    auto(
      "25-record-logs-after-sysprep",
      "Do -do-next to archive the logs again (logs-002-after-sysprep.tar.gz).",
      recordWindowsLogs("logs-002-after-sysprep.tar.gz"),
    ),
    auto(
      "26-make-simple-tar-of-image",
      "Do -do-next to archive the installed image with its md5 (windows-LABEL-TIMESTAMP.tar.gz).",
      makeSimpleTarOfImage,
    ),
    auto(
      "27-package-to-wakame-tgz-image",
      "Do -do-next to make the seed image: NTFS label root, sparse .raw.tar.gz, .md5 and .install.sh in final-seed-image/.",
      packageToWakameTgzImage,
    ),
    auto(
      "28-package-to-wakame-qcow2-image",
      "Do -do-next to make the qcow2 image, gzipped, with its .md5 files.",
      packageToWakameQcow2Image,
    ),
    auto(
      "1001-gen0-first-boot",
      "The seed image is in final-seed-image/. Optional test: do -do-next to boot it with a metadata drive and a test key.",
      gen0FirstBoot,
    ),
    auto(
      "1002-gen0-wait-for-password",
      "Do -do-next to wait for the first boot to power off, then decrypt and print its password.",
      gen0WaitForPassword,
    ),
    auto(
      "1003-gen0-second-boot",
      "Do -do-next to boot the test VM a second time, as an instance's second boot.",
      gen0SecondBoot,
    ),
  ];
}

/** The first of the optional test steps: a build whose next step is this one is finished. */
export const firstTestStep = "1001-gen0-first-boot";
