// The names of a build's packaged files (image-build.md, "Outputs of a
// finished build"), from its LABEL and WINIMG. Pure.

export function seedNames(label: string, winimg: string, timestamp: string) {
  const seed = `windows${label}r2`;
  return {
    /** Step 26: the raw image as installed, with its md5 inside. */
    simpleTar: `windows-${label}-${timestamp}.tar.gz`,
    winimgMd5: `${winimg}.md5`,
    /** The image's name in the store: bo-NAME and wmi-NAME. */
    seed,
    raw: `${seed}.x86_64.kvm.md.raw`,
    tar: `${seed}.x86_64.kvm.md.raw.tar.gz`,
    // The original's fixed number, kept so that scripts expecting the name find it.
    qcow2: `${seed}.x86_64.15071.qcow2`,
    /** In the build directory: the index of a packed file's compressed pieces, for the next step. */
    pieces: (packed: string) => `.${packed}.pieces.json`,
  };
}
