// The seed-image build: one ordered list of steps (image-build.md, "Steps, in
// order"). Each automatic step's work is its own module under steps/; manual
// steps (-M-) are what the user does at the VM's console, confirmed with
// -done. Steps whose module is not written yet have no `run`, and the
// dispatcher says so instead of pretending.

import { makeSimpleTarOfImage } from "./steps/26-make-simple-tar-of-image.js";
import { packageToWakameTgzImage } from "./steps/27-package-to-wakame-tgz-image.js";
import { packageToWakameQcow2Image } from "./steps/28-package-to-wakame-qcow2-image.js";
import type { StepContext } from "./steps/context.js";

export interface Step {
  name: string;
  kind: "auto" | "manual";
  /** What the user is told to do when this step is next. */
  instructions: string;
  run?: (ctx: StepContext) => Promise<void>;
}

const auto = (name: string, instructions: string, run?: Step["run"]): Step => ({
  name,
  kind: "auto",
  instructions,
  run,
});
const manual = (name: string, instructions: string): Step => ({ name, kind: "manual", instructions });

export const steps: readonly Step[] = [
  auto(
    "1-setup-install",
    "Do -do-next to read windows-image-build.ini and the environment (ISOnnnn, KEYnnnn) and check ./resources/.",
  ),
  auto(
    "2-create-floppy-image-with-answer-file",
    "Do -do-next to make the floppy with Autounattend.xml and the guest scripts.",
  ),
  auto(
    "3-boot-with-install-iso-and-floppy",
    "Do -do-next to create the blank image and boot the installer (VNC address in kvm.vnc).",
  ),
  manual(
    "4-M-wait-for-ctrl-alt-delete-screen",
    "Watch the console over VNC until the Ctrl+Alt+Del screen shows, then -done.",
  ),
  auto(
    "5-record-logs-at-ctrl-alt-delete-screen",
    "Do -do-next to archive Windows' setup logs (logs-001-*.tar.gz).",
  ),
  manual("6-M-press-ctrl-alt-delete-screen", "Send Ctrl+Alt+Del over VNC, then -done."),
  manual(
    "7-M-enter-temporary-password",
    "Log in as Administrator with the temporary password of the answer file, then -done.",
  ),
  manual("8-M-wait-for-desktop", "Wait for the desktop, then -done."),
  manual("9-M-close-server-manager", "Close Server Manager if it opened, then -done."),
  manual("10-M-open-powershell-window", "Open a PowerShell window, then -done."),
  manual("11-M-run-sysprep-script", "Type 'a:run-sysprep' in the PowerShell window, then -done."),
  auto("24-wait-for-shutdown", "Do -do-next to wait for sysprep to power the VM off."),
  auto(
    "25-record-logs-after-sysprep",
    "Do -do-next to archive the logs again (logs-002-after-sysprep.tar.gz).",
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
  auto("1001-gen0-first-boot", "Optional: do -do-next to test the image's first boot with a test key."),
];

export function stepNamed(name: string): Step | undefined {
  return steps.find((s) => s.name === name);
}

/** The step after `name`, or undefined after the last. */
export function stepAfter(name: string): Step | undefined {
  return steps[steps.findIndex((s) => s.name === name) + 1];
}
