// auto-windows-image-build (also auto-windows-image-build.sh): a seed-image
// build with no person at the console (docs/needles.md).

import { autoBuild } from "../../imagebuild/auto/auto-build.js";
import { flagField } from "../../model/fields.js";
import { arg, command } from "../command.js";
import { noContext, runProgram } from "../dispatch.js";
import { printLine, refusalsToUser, workspaceSurroundings } from "../seed-build.js";

const main = command({
  name: "auto-windows-image-build",
  summary:
    "Run every step of the build in BUILDDIR (made with 'build-dir-utils BUILDDIR 0-init VERSION'): the automatic ones\n" +
    "as -do-next does, the manual ones by the console script over VNC, waiting for each screen by its needles.\n" +
    "A screen that does not come stops the build on its step: finish it by hand with -done, or add a needle and run again.\n" +
    "Run it where windows-image-build.ini and ./resources/ are; BUILDDIR/report.html shows the build.",
  args: [arg("BUILDDIR")],
  options: {
    package: { field: flagField, desc: "go on through packaging (steps 26 to 28)" },
  },
  async run(_ctx: undefined, [dir], o) {
    const stop = new AbortController();
    // Ctrl-C: a manual step stops at once, an automatic one at its end, and
    // nextstep stays where it is; a second Ctrl-C stops at once (the lock of
    // a process that is gone is taken over by the next call).
    process.on("SIGINT", () => {
      if (stop.signal.aborted) process.exit(130);
      process.stdout.write("stopping: Ctrl-C again to stop at once\n");
      stop.abort();
    });
    const options = { package: o.package === true, signal: stop.signal };
    await autoBuild(dir!, options, printLine, workspaceSurroundings()).catch(refusalsToUser);
  },
});

process.exitCode = await runProgram({ root: main, ...noContext }, process.argv.slice(2));
