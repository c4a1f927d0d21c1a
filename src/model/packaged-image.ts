// A seed image as packaging leaves it in a backup storage: what its
// `.install.sh` registers, and what the test guest's package is too. Here, in
// the domain, so that the builder and the test guest (below it) both take it.

export interface PackagedImage {
  /** File name of the packaged image in the backup storage, e.g. windows2008r2.x86_64.kvm.md.raw.tar.gz. */
  objectKey: string;
  containerFormat: "tgz" | "gz" | "tar" | "none";
  fileFormat: "raw" | "qcow2";
  /** Size of the disk image inside (bytes). */
  size: number;
  /** Size of the packaged file (bytes). */
  allocationSize: number;
  /** md5 of the packaged file. */
  checksum: string;
}
