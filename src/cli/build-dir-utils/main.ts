// build-dir-utils (also build-dir-utils.sh): the step-by-step Windows
// seed-image build, in a build directory (image-build.md).
import { buildDirUtils } from "../../imagebuild/build-dir-utils.js";
import { arg, command, optionalArg } from "../command.js";
import { noContext, runProgram } from "../dispatch.js";
import { printLine, refusalsToUser, workspaceSurroundings } from "../seed-build.js";

const main = command({
  name: "build-dir-utils",
  summary:
    "Build a Windows seed image step by step in BUILDDIR. STEP is 0-init VERSION, or a flag:\n" +
    "-do-next (-next) runs the next step, -done confirms a manual (-M-) step, -status lists the steps;\n" +
    "-screendump, -kill-kvm and -cleanup act on the build's VM, -pw prints the first-boot test's password.\n" +
    "Run it where windows-image-build.ini and ./resources/ are (see docs/image-build.md).",
  args: [arg("BUILDDIR"), arg("STEP"), optionalArg("VERSION")],
  options: {},
  async run(_ctx: undefined, [dir, step, version]) {
    await buildDirUtils(dir!, step!, version ? [version] : [], printLine, workspaceSurroundings()).catch(
      refusalsToUser,
    );
  },
});

process.exitCode = await runProgram({ root: main, ...noContext }, process.argv.slice(2));
